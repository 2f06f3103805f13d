package e2e

import (
	"encoding/json"
	"net/http"
	"testing"
)

// The health endpoint is DESIGN.md's readiness contract: 200 with a JSON status.
func TestHealth(t *testing.T) {
	inst := startServer(t, "")
	resp, err := http.Get(inst.Endpoint + "/_gatehouse/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("status: got %d, want 200", resp.StatusCode)
	}
	var body struct {
		Status string `json:"status"`
		Mode   string `json:"mode"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "ok" || body.Mode != "production" {
		t.Fatalf("health: got %+v, want status ok in production mode", body)
	}
}
