//go:build !linux

package imds

import (
	"errors"
	"os/exec"
)

// MetadataAddr is the address EC2's instance metadata service answers on.
const MetadataAddr = "169.254.169.254:80"

// StartInNamespace needs Linux network namespaces.
func StartInNamespace(cmd *exec.Cmd, endpoint string, also []string) (stop func(), err error) {
	return nil, errors.New("--netns needs Linux network namespaces")
}
