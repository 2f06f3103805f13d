package imds

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"gatehouse/internal/ec2"
)

// Record is what DATA/instances/ID.json says of a running instance's endpoint; `gatehouse
// instance env` reads it.
type Record struct {
	InstanceID string `json:"instanceId"`
	Account    string `json:"account"`
	Region     string `json:"region"`
	// Endpoint is the base URL the SDKs take as AWS_EC2_METADATA_SERVICE_ENDPOINT.
	Endpoint string `json:"endpoint"`
}

// RecordDir is where a data directory keeps its instance records.
func RecordDir(dataDir string) string { return filepath.Join(dataDir, "instances") }

// ReadRecord reads an instance's record; fs.ErrNotExist when the instance has no endpoint
// (it does not exist, is not running, or serve never ran it).
func ReadRecord(dataDir, id string) (Record, error) {
	var r Record
	if !validName(id) {
		return r, fs.ErrNotExist
	}
	b, err := os.ReadFile(filepath.Join(RecordDir(dataDir), id+".json"))
	if err != nil {
		return r, err
	}
	if err := json.Unmarshal(b, &r); err != nil {
		return r, fmt.Errorf("%s: %w", id, err)
	}
	return r, nil
}

// validName keeps an instance ID from naming a path outside the record directory.
func validName(id string) bool {
	if id == "" || len(id) > 64 {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z') {
			return false
		}
	}
	return true
}

// Host runs one loopback listener per running instance. An instance keeps its port across
// restarts of serve when the port is still free (the record names it), so a process
// started with `gatehouse instance exec` keeps working.
type Host struct {
	svc    *Service
	dir    string
	logger *slog.Logger

	mu      sync.Mutex
	closed  bool
	running map[string]*endpoint
}

type endpoint struct {
	srv  *http.Server
	addr string
}

// NewHost returns a Host that records endpoints under dataDir.
func NewHost(svc *Service, dataDir string, logger *slog.Logger) (*Host, error) {
	if logger == nil {
		logger = slog.Default()
	}
	dir := RecordDir(dataDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	return &Host{svc: svc, dir: dir, logger: logger, running: make(map[string]*endpoint)}, nil
}

// Sync opens the endpoint of a running instance and closes that of one that is not (and
// forgets its credentials); the EC2 domain's OnChange calls it after every change.
func (h *Host) Sync(in ec2.Instance) {
	live := in.State == ec2.Running || in.State == ec2.Pending
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return
	}
	ep := h.running[in.ID]
	switch {
	case live && ep == nil:
		if err := h.start(in); err != nil {
			h.logger.Error("instance metadata endpoint", "instance", in.ID, "err", err)
		}
	case !live && ep != nil:
		h.stop(in.ID, ep)
		h.svc.Forget(in.ID)
	case !live:
		h.svc.Forget(in.ID)
		_ = os.Remove(filepath.Join(h.dir, in.ID+".json"))
	}
}

func (h *Host) start(in ec2.Instance) error {
	var ln net.Listener
	// The port the instance had before, if it is still free: processes started as the
	// instance keep the endpoint they were given.
	if old, err := ReadRecord(filepath.Dir(h.dir), in.ID); err == nil {
		addr := strings.TrimSuffix(strings.TrimPrefix(old.Endpoint, "http://"), "/")
		if host, _, err := net.SplitHostPort(addr); err == nil && host == "127.0.0.1" {
			if l, err := net.Listen("tcp", addr); err == nil {
				ln = l
			} else {
				h.logger.Info("instance metadata endpoint moves", "instance", in.ID, "was", addr, "err", err)
			}
		}
	}
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return err
		}
	}
	rec := Record{InstanceID: in.ID, Account: in.Account, Region: in.Region, Endpoint: "http://" + ln.Addr().String() + "/"}
	if err := writeRecord(h.dir, rec); err != nil {
		ln.Close()
		return err
	}
	srv := &http.Server{Handler: h.svc.Handler(in.Account, in.ID), ReadHeaderTimeout: 10 * time.Second}
	h.running[in.ID] = &endpoint{srv: srv, addr: ln.Addr().String()}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			h.logger.Error("instance metadata endpoint", "instance", in.ID, "err", err)
		}
	}()
	h.logger.Info("instance metadata endpoint", "instance", in.ID, "endpoint", rec.Endpoint)
	return nil
}

func (h *Host) stop(id string, ep *endpoint) {
	_ = ep.srv.Close()
	delete(h.running, id)
	_ = os.Remove(filepath.Join(h.dir, id+".json"))
}

// Endpoint returns the base URL of a running instance's endpoint.
func (h *Host) Endpoint(id string) (string, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	ep := h.running[id]
	if ep == nil {
		return "", false
	}
	return "http://" + ep.addr + "/", true
}

// Close stops every endpoint; the records stay, so the next serve reopens each instance's
// endpoint on the same port.
func (h *Host) Close(ctx context.Context) {
	h.mu.Lock()
	h.closed = true
	eps := h.running
	h.running = map[string]*endpoint{}
	h.mu.Unlock()
	for _, ep := range eps {
		_ = ep.srv.Shutdown(ctx)
	}
}

func writeRecord(dir string, r Record) error {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := filepath.Join(dir, "."+r.InstanceID+".tmp")
	if err := os.WriteFile(tmp, append(b, '\n'), 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, r.InstanceID+".json"))
}
