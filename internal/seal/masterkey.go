package seal

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// ParseMasterKey parses a master key as an operator writes it (GATEHOUSE_MASTER_KEY, or the
// contents of master.key): 64 hex digits, or base64 (standard or URL alphabet, padded or
// not) of 32 bytes. Surrounding white space is ignored. The error never echoes the input.
func ParseMasterKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	if len(s) == 2*KeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, nil
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == KeySize {
			return b, nil
		}
	}
	return nil, fmt.Errorf("seal: a master key is %d bytes as 64 hex digits or base64 (got %d characters that are neither)", KeySize, len(s))
}

// LoadOrCreateMasterKey reads the master key at path (DIR/master.key), or, when there is no
// file, creates one from crypto/rand with mode 0600. It refuses a key file that group or
// others may read: a readable master key opens every secret in the store.
func LoadOrCreateMasterKey(path string) ([]byte, error) {
	return loadOrCreateMasterKey(path, rand.Reader)
}

func loadOrCreateMasterKey(path string, random io.Reader) ([]byte, error) {
	key, err := readMasterKey(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return key, err
	}
	key = make([]byte, KeySize)
	if _, err := io.ReadFull(random, key); err != nil {
		return nil, fmt.Errorf("seal: randomness: %w", err)
	}
	// Write a temporary file, sync it, then link it into place: the key file is either
	// absent or whole, even after a crash, and of two processes starting at once the
	// second's link fails and it reads the first's key.
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".master.key.*")
	if err != nil {
		return nil, fmt.Errorf("seal: create master key: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("seal: create master key: %w", err)
	}
	_, err = tmp.WriteString(hex.EncodeToString(key) + "\n")
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("seal: create master key: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return readMasterKey(path)
		}
		return nil, fmt.Errorf("seal: create master key: %w", err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // make the new directory entry durable
		d.Close()
	}
	return key, nil
}

func readMasterKey(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("seal: %s is not a regular file", path)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("seal: %s has mode %v; the master key must be readable by its owner only (chmod 600)", path, fi.Mode().Perm())
	}
	b, err := io.ReadAll(io.LimitReader(f, 1024))
	if err != nil {
		return nil, fmt.Errorf("seal: read %s: %w", path, err)
	}
	key, err := ParseMasterKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%w (in %s)", err, path)
	}
	return key, nil
}
