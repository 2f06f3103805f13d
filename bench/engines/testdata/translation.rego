package iam

default allow := false

default deny := false

default decision := "implicitDeny"

decision := "explicitDeny" if { deny } else := "allowed" if { allow }

# u0 p0 S0
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "cloudwatch:untagitem"
	glob.match("arn:aws:sns:*:111122223333:*", null, input.resource)
}

# u0 p0 S0
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "kms:gettable"
	glob.match("arn:aws:sns:*:111122223333:*", null, input.resource)
}

# u0 p0 S1
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "secretsmanager"
	glob.match("*table", null, input.name)
	input.resource == "arn:aws:dynamodb:us-east-1:111122223333:thing/t33"
}

# u0 p0 S1
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "secretsmanager"
	glob.match("*table", null, input.name)
	input.resource == "arn:aws:s3:::bucket-0"
}

# u0 p0 S1
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "secretsmanager:createbucket"
	input.resource == "arn:aws:dynamodb:us-east-1:111122223333:thing/t33"
}

# u0 p0 S1
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "secretsmanager:createbucket"
	input.resource == "arn:aws:s3:::bucket-0"
}

# u0 p0 S2
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "rds:stopbucket"
	input.resource == "arn:aws:s3:::bucket-4/data/k7.json"
}

# u0 p0 S2
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "rds:stopbucket"
	glob.match("arn:aws:s3:::bucket-4/*", null, input.resource)
}

# u0 p0 S3
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "s3"
	glob.match("updatequ?ue", null, input.name)
	glob.match("arn:aws:s3:::bucket-0/*", null, input.resource)
}

# u0 p0 S4
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "logs:puttable"
	glob.match("arn:aws:s3:::bucket-7/*", null, input.resource)
}

# u0 p0 S4
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "logs:puttable"
	glob.match("arn:aws:sqs:us-east-1:111122223333:thing/t2*", null, input.resource)
}

# u0 p0 S5
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "s3"
	glob.match("list*", null, input.name)
	glob.match("arn:aws:s3:::bucket-5/*", null, input.resource)
}

# u0 p0 S5
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "s3"
	glob.match("list*", null, input.name)
}

# u0 p0 S5
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "logs"
	glob.match("arn:aws:s3:::bucket-5/*", null, input.resource)
}

# u0 p0 S5
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "logs"
}

# u0 p0 S5
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "sqs:describerole"
	glob.match("arn:aws:s3:::bucket-5/*", null, input.resource)
}

# u0 p0 S5
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "sqs:describerole"
}

# u0 p0 S6
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "ec2"
	glob.match("*user", null, input.name)
	glob.match("arn:aws:s3:::bucket-7/*", null, input.resource)
	net.cidr_contains("192.168.0.0/16", input.sourceIp)
	input.secureTransport == true
}

# u0 p0 S7
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "kms:gettopic"
	glob.match("arn:aws:s3:::bucket-*/home/*", null, input.resource)
}

# u0 p0 S7
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "kms:gettopic"
	glob.match("arn:aws:s3:::bucket-6/*", null, input.resource)
}

# u0 p0 S7
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "rds"
	glob.match("put*", null, input.name)
	glob.match("arn:aws:s3:::bucket-*/home/*", null, input.resource)
}

# u0 p0 S7
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "rds"
	glob.match("put*", null, input.name)
	glob.match("arn:aws:s3:::bucket-6/*", null, input.resource)
}

# u0 p0 S7
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "kms"
	glob.match("arn:aws:s3:::bucket-*/home/*", null, input.resource)
}

# u0 p0 S7
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "kms"
	glob.match("arn:aws:s3:::bucket-6/*", null, input.resource)
}

# u0 p0 S8
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "dynamodb"
	glob.match("get*", null, input.name)
	glob.match("arn:aws:s3:::bucket-*/home/*", null, input.resource)
}

# u0 p0 S8
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "logs"
	glob.match("arn:aws:s3:::bucket-*/home/*", null, input.resource)
}

# u0 p0 S9
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "rds:describebucket"
	glob.match("arn:aws:cloudwatch:us-east-1:111122223333:thing/t1*", null, input.resource)
}

# u0 p0 S9
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "lambda"
	glob.match("list*", null, input.name)
	glob.match("arn:aws:cloudwatch:us-east-1:111122223333:thing/t1*", null, input.resource)
}

# u0 p0 S10
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "kms:deleterole"
	glob.match("arn:aws:s3:::bucket-*/home/*", null, input.resource)
}

# u0 p0 S10
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "kms:deleterole"
	input.resource == "arn:aws:s3:::bucket-4/data/k0.json"
}

# u0 p0 S10
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "sns:updatequeue"
	glob.match("arn:aws:s3:::bucket-*/home/*", null, input.resource)
}

# u0 p0 S10
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "sns:updatequeue"
	input.resource == "arn:aws:s3:::bucket-4/data/k0.json"
}

# u0 p0 S10
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "ec2"
	glob.match("start*", null, input.name)
	glob.match("arn:aws:s3:::bucket-*/home/*", null, input.resource)
}

# u0 p0 S10
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.service == "ec2"
	glob.match("start*", null, input.name)
	input.resource == "arn:aws:s3:::bucket-4/data/k0.json"
}

# u0 p0 S11
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "logs:createuser"
	glob.match("arn:aws:s3:::bucket-5/*", null, input.resource)
	net.cidr_contains("198.51.100.0/25", input.sourceIp)
}

# u0 p0 S11
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "logs:createuser"
	glob.match("arn:aws:s3:::bucket-0/*", null, input.resource)
	net.cidr_contains("198.51.100.0/25", input.sourceIp)
}

# u0 p0 S11
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "sqs:putkey"
	glob.match("arn:aws:s3:::bucket-5/*", null, input.resource)
	net.cidr_contains("198.51.100.0/25", input.sourceIp)
}

# u0 p0 S11
allow if {
	input.principal == "arn:aws:iam::111122223333:user/u0"
	input.action == "sqs:putkey"
	glob.match("arn:aws:s3:::bucket-0/*", null, input.resource)
	net.cidr_contains("198.51.100.0/25", input.sourceIp)
}

