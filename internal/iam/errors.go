package iam

import "gatehouse/internal/awserr"

// IAM's error codes and HTTP statuses
// (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateUser.html#API_CreateUser_Errors
// and the Errors section of every other operation).

func noSuchEntity(format string, args ...any) *awserr.Error {
	return awserr.New(404, "NoSuchEntity", format, args...)
}

func entityAlreadyExists(format string, args ...any) *awserr.Error {
	return awserr.New(409, "EntityAlreadyExists", format, args...)
}

func limitExceeded(format string, args ...any) *awserr.Error {
	return awserr.New(409, "LimitExceeded", format, args...)
}

func deleteConflict(format string, args ...any) *awserr.Error {
	return awserr.New(409, "DeleteConflict", format, args...)
}

func malformedPolicyDocument(format string, args ...any) *awserr.Error {
	return awserr.New(400, "MalformedPolicyDocument", format, args...)
}

func invalidInput(format string, args ...any) *awserr.Error {
	return awserr.New(400, "InvalidInput", format, args...)
}

func policyNotAttachable(format string, args ...any) *awserr.Error {
	return awserr.New(400, "PolicyNotAttachable", format, args...)
}

// quota is LimitExceeded in the form IAM uses for every counted quota, e.g.
// "Cannot exceed quota for AccessKeysPerUser: 2".
func quota(name string, limit int) *awserr.Error {
	return limitExceeded("Cannot exceed quota for %s: %d", name, limit)
}

// isNoSuchEntity reports whether err is IAM's NoSuchEntity, for operations that answer a
// missing entity with a message of their own.
func isNoSuchEntity(err error) bool {
	e, ok := awserr.As(err)
	return ok && e.Code == "NoSuchEntity"
}
