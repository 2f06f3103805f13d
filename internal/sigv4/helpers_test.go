package sigv4

import "gatehouse/internal/awserr"

// isCode reports whether err is an *awserr.Error with the given code.
func isCode(err error, code string) bool {
	e, ok := awserr.As(err)
	return ok && e.Code == code
}

func asAWS(err error) (*awserr.Error, bool) { return awserr.As(err) }
