package iam

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gatehouse/internal/kv"
)

// Records are the JSON values stored under the keys of keys.go. Names keep the caller's
// spelling; keys hold them lower-cased. Times are UTC, whole seconds (IAM reports seconds).

type accountRecord struct {
	ID        string    `json:"id"`
	Partition string    `json:"partition"`
	Created   time.Time `json:"created"`
	Alias     string    `json:"alias,omitempty"`
}

type tagRecord struct {
	Key   string `json:"k"`
	Value string `json:"v"`
}

type userRecord struct {
	Name     string      `json:"name"`
	Path     string      `json:"path"`
	ID       string      `json:"id"`
	Created  time.Time   `json:"created"`
	Boundary string      `json:"boundary,omitempty"` // the permissions boundary policy's ARN
	Tags     []tagRecord `json:"tags,omitempty"`
	// PasswordLastUsed is set by console sign-in; nil when the password was never used.
	PasswordLastUsed *time.Time `json:"passwordLastUsed,omitempty"`
}

type groupRecord struct {
	Name    string    `json:"name"`
	Path    string    `json:"path"`
	ID      string    `json:"id"`
	Created time.Time `json:"created"`
}

type roleRecord struct {
	Name        string    `json:"name"`
	Path        string    `json:"path"`
	ID          string    `json:"id"`
	Created     time.Time `json:"created"`
	TrustPolicy string    `json:"trust"`
	// TrustIDs maps each user or role ARN of an account the store holds that the trust policy
	// names, as written, to the unique ID it had when the policy was saved (see
	// trustprincipals.go).
	TrustIDs           map[string]string `json:"trustIds,omitempty"`
	Description        string            `json:"description,omitempty"`
	MaxSessionDuration int               `json:"maxSession"`
	Boundary           string            `json:"boundary,omitempty"`
	Tags               []tagRecord       `json:"tags,omitempty"`
	LastUsed           *time.Time        `json:"lastUsed,omitempty"`
	LastUsedRegion     string            `json:"lastUsedRegion,omitempty"`
}

type profileRecord struct {
	Name    string      `json:"name"`
	Path    string      `json:"path"`
	ID      string      `json:"id"`
	Created time.Time   `json:"created"`
	Role    string      `json:"role,omitempty"` // lower-cased name of its one role, if any
	Tags    []tagRecord `json:"tags,omitempty"`
}

type policyRecord struct {
	Name           string      `json:"name"`
	Path           string      `json:"path"`
	ID             string      `json:"id"`
	Description    string      `json:"description,omitempty"`
	Created        time.Time   `json:"created"`
	Updated        time.Time   `json:"updated"`
	DefaultVersion int         `json:"default"` // n of "vn"
	NextVersion    int         `json:"next"`
	Versions       int         `json:"versions"`
	Attachments    int         `json:"attachments"`
	BoundaryUses   int         `json:"boundaryUses"`
	Tags           []tagRecord `json:"tags,omitempty"`
}

type versionRecord struct {
	N        int       `json:"n"`
	Document string    `json:"doc"`
	Created  time.Time `json:"created"`
}

func versionID(n int) string { return fmt.Sprintf("v%d", n) }

type inlineRecord struct {
	Name     string `json:"name"`
	Document string `json:"doc"`
	Size     int    `json:"size"` // characters without white space, as IAM counts
}

// accessKeyRecord is stored once, under accesskey/<AKID>, so that SigV4 verification is one Get.
type accessKeyRecord struct {
	ID      string `json:"id"`
	Account string `json:"account"`
	User    string `json:"user"` // the user's name as spelt; "" for the account's root
	// UserPath and UserID are copies of the user's, so that a lookup is one read; UpdateUser
	// rewrites them.
	UserPath string `json:"userPath,omitempty"`
	UserID   string `json:"userId,omitempty"`
	// Partition is the account's partition.
	Partition string    `json:"partition,omitempty"`
	Status    string    `json:"status"`
	Created   time.Time `json:"created"`
	// Sealed is the secret access key sealed with the key ID as associated data.
	Sealed      []byte     `json:"sealed"`
	LastUsed    *time.Time `json:"lastUsed,omitempty"`
	LastService string     `json:"lastService,omitempty"`
	LastRegion  string     `json:"lastRegion,omitempty"`
}

// auditRecord says who changed what. It never holds a secret or a policy document.
type auditRecord struct {
	Time    time.Time `json:"time"`
	Account string    `json:"account"`
	Caller  string    `json:"caller"`
	Action  string    `json:"action"`
	Target  string    `json:"target"`
}

// getJSON reads key into v; found is false when the key does not exist.
func getJSON(tx kv.Tx, key string, v any) (found bool, err error) {
	b, err := tx.Get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return false, fmt.Errorf("iam: decode %s: %w", key, err)
	}
	return true, nil
}

func putJSON(tx kv.Tx, key string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("iam: encode %s: %w", key, err)
	}
	return tx.Put(key, b)
}

// exists reports whether key exists.
func exists(tx kv.Tx, key string) (bool, error) {
	_, err := tx.Get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// listAll returns every pair under prefix.
func listAll(tx kv.Tx, prefix string) ([]kv.Pair, error) { return tx.List(prefix, "", 0) }

// hasAny reports whether any key starts with prefix.
func hasAny(tx kv.Tx, prefix string) (bool, error) {
	ps, err := tx.List(prefix, "", 1)
	return len(ps) > 0, err
}

// deletePrefix deletes every key under prefix.
func deletePrefix(tx kv.Tx, prefix string) error {
	ps, err := listAll(tx, prefix)
	if err != nil {
		return err
	}
	for _, p := range ps {
		if err := tx.Delete(p.Key); err != nil {
			return err
		}
	}
	return nil
}
