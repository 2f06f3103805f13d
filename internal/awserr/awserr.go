// Package awserr owns the one typed error that crosses the wire: an AWS error code, its
// message and its HTTP status. Domain packages return these (wrapped or not); the edge
// renders any error through awsproto, which turns an *Error into the protocol's error
// document and anything else into InternalFailure with no internal text.
package awserr

import (
	"errors"
	"fmt"
)

// Error is an AWS API error as a client sees it.
type Error struct {
	Code    string // AWS's error code, e.g. "NoSuchEntity"
	Message string // the text AWS sends; safe for the client
	Status  int    // HTTP status
	// Receiver marks a server fault (<Type>Receiver</Type>); client mistakes are Sender faults.
	Receiver bool
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// Is makes errors.Is(err, awserr.Code("X")) work: two errors are the same when their codes are.
func (e *Error) Is(target error) bool {
	var t *Error
	if errors.As(target, &t) {
		return t.Code == e.Code
	}
	return false
}

// New returns a client (Sender) error.
func New(status int, code, format string, args ...any) *Error {
	msg := format
	if len(args) > 0 {
		msg = fmt.Sprintf(format, args...)
	}
	return &Error{Code: code, Message: msg, Status: status}
}

// Code returns a sentinel for errors.Is comparisons by code.
func Code(code string) *Error { return &Error{Code: code} }

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// Common errors shared by every AWS Query service
// (https://docs.aws.amazon.com/IAM/latest/APIReference/CommonErrors.html).

func AccessDenied(msg string) *Error { return New(403, "AccessDenied", "%s", msg) }

func ValidationError(format string, args ...any) *Error {
	return New(400, "ValidationError", format, args...)
}

func InvalidParameterValue(format string, args ...any) *Error {
	return New(400, "InvalidParameterValue", format, args...)
}

func MissingParameter(format string, args ...any) *Error {
	return New(400, "MissingParameter", format, args...)
}

func InvalidAction(format string, args ...any) *Error {
	return New(400, "InvalidAction", format, args...)
}

// InternalFailure is what the client sees for any unexpected error; the log has the detail.
func InternalFailure() *Error {
	return &Error{Code: "InternalFailure", Message: "We encountered an internal error. Please try again.", Status: 500, Receiver: true}
}
