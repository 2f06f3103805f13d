package cli

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gatehouse/internal/awserr"
	"gatehouse/internal/ec2"
	"gatehouse/internal/iam"
	"gatehouse/internal/imds"
	"gatehouse/internal/kv"
	"gatehouse/internal/seal"
	"gatehouse/internal/server"
	"gatehouse/internal/store"
	"gatehouse/internal/sts"
)

// state is everything `serve` opened, wired together.
type state struct {
	dir         string
	store       kv.Store
	iam         *iam.Service
	sts         *sts.Service
	ec2         *ec2.Service
	imds        *imds.Host
	server      *server.Server
	account     string
	createdRoot bool
	rootKeyID   string
	stopFlush   context.CancelFunc
	flushDone   chan struct{}
}

// openState opens (or on first start creates) the data directory, the master key, the
// store and the account, and builds the server over them.
func openState(ctx context.Context, f serveFlags, logger *slog.Logger) (*state, error) {
	dir, err := filepath.Abs(f.data)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	var kvs kv.Store
	if strings.HasPrefix(f.store, "postgres://") || strings.HasPrefix(f.store, "postgresql://") {
		kvs, err = store.OpenPostgres(ctx, f.store, store.Options{Logger: logger})
	} else if f.store != "" {
		return nil, fmt.Errorf("--store: want a postgres:// URL or nothing (SQLite in --data), got %q", f.store)
	} else {
		// Emulator mode holds a test suite's throwaway state and resets it per test: it does
		// not fsync each commit (docs/emulator.md), which production's synchronous=FULL would.
		kvs, err = store.OpenSQLite(ctx, filepath.Join(dir, "gatehouse.db"),
			store.Options{Logger: logger, UnsafeNoSync: f.mode == "emulator"})
	}
	if err != nil {
		return nil, fmt.Errorf("opening the store: %w", err)
	}
	// Other nodes' changes (a store shared by several nodes) reach this node's caches through
	// the store's change log; a node alone sees none. The watch starts before this node reads
	// anything it keeps (the keyring, the running instances), so that a change another node
	// commits meanwhile is not missed: the watcher holds it until the loop below reads it.
	fctx, cancel := context.WithCancel(context.Background())
	started := false
	defer func() {
		if !started {
			cancel()
		}
	}()
	var changes <-chan string
	if w, ok := kvs.(kv.Watcher); ok {
		changes = w.Changes(fctx)
	}
	sealer, err := openSealer(ctx, dir, kvs)
	if err != nil {
		kvs.Close()
		return nil, err
	}
	st := &state{dir: dir, store: kvs}
	var srv *server.Server
	svc, err := iam.New(iam.Options{
		Store:  kvs,
		Sealer: sealer,
		OnChange: func(c iam.Change) {
			if srv != nil {
				srv.Invalidate(c)
			}
		},
		// `--enforce off` accepts the trust policies moto server accepts (docs/emulator.md);
		// it is the configured level, server-wide, whatever a reset-auth window does.
		MotoLenient: f.mode == "emulator" && f.enforce == "off",
	})
	if err != nil {
		kvs.Close()
		return nil, err
	}
	st.iam = svc
	accountID := f.accountID
	if accountID == "" && f.mode == "emulator" {
		accountID = "123456789012"
	}
	if accountID != "" && !isAccountID(accountID) {
		kvs.Close()
		return nil, fmt.Errorf("--account-id must be 12 digits, got %q", accountID)
	}
	b, err := svc.Bootstrap(ctx, accountID)
	if err != nil {
		kvs.Close()
		return nil, fmt.Errorf("creating the account: %w", err)
	}
	st.account = b.Account
	if b.Created {
		st.createdRoot = true
		st.rootKeyID = b.RootKeyID
		if err := writeCredentialsFile(dir, b.RootKeyID, b.RootKeySecret); err != nil {
			kvs.Close()
			return nil, fmt.Errorf("writing the root credentials: %w", err)
		}
	}
	// Session tokens are sealed under a keyring kept in the store, so every node opens the
	// tokens any node issued; it rotates daily and keeps retired keys while a token they
	// sealed can live (DESIGN.md, "Temporary credentials are self-contained").
	rotation := seal.Rotation{Every: 24 * time.Hour, MaxTokenLifetime: sts.MaxTokenLifetime}
	keyring, err := seal.Maintain(ctx, kvs, sealer, rand.Reader, time.Now, rotation)
	if err != nil {
		kvs.Close()
		return nil, fmt.Errorf("session keyring: %w", err)
	}
	loadKeyring := func(ctx context.Context) (*seal.Keyring, error) {
		var k *seal.Keyring
		err := kvs.View(ctx, func(tx kv.Tx) error {
			var err error
			k, err = seal.LoadKeyring(tx, sealer, rand.Reader, time.Now)
			return err
		})
		return k, err
	}
	stsSvc, err := sts.New(sts.Options{Keyring: keyring, Rand: rand.Reader, Reload: loadKeyring})
	if err != nil {
		kvs.Close()
		return nil, err
	}
	// Each running instance gets its own metadata endpoint; the EC2 domain reports every
	// change so endpoints open and close with their instances.
	var host *imds.Host
	st.sts = stsSvc
	ec2Svc, err := ec2.New(ec2.Options{Store: kvs, Region: f.region, OnChange: func(i ec2.Instance) { host.Sync(i) }})
	if err != nil {
		kvs.Close()
		return nil, err
	}
	st.ec2 = ec2Svc
	mds, err := imds.New(imds.Options{Instances: ec2Svc, Roles: profileRoles{svc}, Issuer: stsSvc})
	if err == nil {
		host, err = imds.NewHost(mds, dir, logger)
	}
	if err != nil {
		kvs.Close()
		return nil, err
	}
	st.imds = host
	running, err := ec2Svc.All(ctx)
	if err != nil {
		kvs.Close()
		return nil, err
	}
	for _, i := range running {
		host.Sync(i)
	}
	enforce, err := server.ParseEnforce(f.enforce)
	if err != nil {
		kvs.Close()
		return nil, err
	}
	srv = server.New(server.Config{Region: f.region, Mode: f.mode, Logger: logger, IAM: svc, STS: stsSvc, EC2: ec2Svc,
		Enforce: enforce, Account: st.account})
	st.server = srv

	// Access-key last use is noted in memory on the request path and written here.
	st.stopFlush, st.flushDone = cancel, make(chan struct{})
	started = true
	go func() {
		defer close(st.flushDone)
		t := time.NewTicker(time.Second)
		defer t.Stop()
		rotate := time.NewTicker(time.Hour)
		defer rotate.Stop()
		for {
			select {
			case <-fctx.Done():
				return
			case k, ok := <-changes:
				if !ok {
					changes = nil
					continue
				}
				// Another node rotated or pruned the session keyring: take it now, rather
				// than when a token under its new key first fails to open here.
				if k == seal.StoreKey || k == kv.Reset {
					if ring, err := loadKeyring(fctx); err == nil {
						stsSvc.SetKeyring(ring)
					} else if !errors.Is(err, context.Canceled) {
						logger.Warn("reloading the session keyring", "err", err)
					}
				}
				srv.RemoteChanged(svc.RemoteChange(fctx, k))
				syncRemoteInstance(fctx, ec2Svc, host, k, logger)
			case <-rotate.C:
				k, err := seal.Maintain(fctx, kvs, sealer, rand.Reader, time.Now, rotation)
				if err != nil {
					logger.Warn("rotating the session keyring", "err", err)
				} else {
					stsSvc.SetKeyring(k)
				}
			case <-t.C:
				if err := svc.FlushAccessKeyUse(fctx); err != nil && !errors.Is(err, context.Canceled) {
					logger.Warn("recording access key use", "err", err)
				}
			}
		}
	}()
	return st, nil
}

// openSealer loads the master key — GATEHOUSE_MASTER_KEY, or DIR/master.key — and checks
// it against the store before anything is sealed under it. Every node sharing a store must
// have the store's key (DESIGN.md, "Secrets at rest"). A node without one makes a new
// DIR/master.key only while the store holds nothing sealed: a second node on a shared
// PostgreSQL store, or a data directory whose key file was lost, is told to supply the key
// instead of getting a new one that opens nothing.
func openSealer(ctx context.Context, dir string, kvs kv.Store) (*seal.Sealer, error) {
	path := filepath.Join(dir, "master.key")
	var master []byte
	var err error
	if env := osGetenv("GATEHOUSE_MASTER_KEY"); env != "" {
		master, err = seal.ParseMasterKey(env)
	} else if _, statErr := os.Stat(path); statErr == nil {
		master, err = seal.LoadOrCreateMasterKey(path)
	} else {
		var sealed bool
		if sealed, err = seal.StoreSealed(ctx, kvs); err == nil && sealed {
			return nil, fmt.Errorf("master key: the store already holds secrets sealed under a master key, and "+
				"this node has none (no GATEHOUSE_MASTER_KEY, no %s): give every node sharing the store the same "+
				"key, in GATEHOUSE_MASTER_KEY or a copy of the first node's master.key", path)
		}
		if err == nil {
			master, err = seal.LoadOrCreateMasterKey(path)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	sealer, err := seal.New(master, rand.Reader)
	if err != nil {
		return nil, err
	}
	if err := seal.VerifyMasterKey(ctx, kvs, sealer); err != nil {
		if errors.Is(err, seal.ErrWrongMasterKey) {
			return nil, fmt.Errorf("master key: %w: every node sharing a store needs the same key "+
				"(GATEHOUSE_MASTER_KEY, or the first node's master.key)", err)
		}
		return nil, fmt.Errorf("master key: checking it against the store: %w", err)
	}
	return sealer, nil
}

// syncRemoteInstance keeps this node's metadata endpoints in step with instances other
// nodes launch and terminate: every node serves an endpoint for every running instance, as
// it opens them all at start, each on a port of its own recorded in its own data directory
// (DATA/instances/ID.json). A report the watcher cannot name (kv.Reset) opens the endpoints
// of all running instances; an endpoint it missed closing answers 503 anyway, as the
// handler reads the instance's state on every request.
func syncRemoteInstance(ctx context.Context, svc *ec2.Service, host *imds.Host, key string, logger *slog.Logger) {
	if key == kv.Reset {
		running, err := svc.All(ctx)
		if err != nil {
			logger.Warn("instance metadata endpoints", "err", err)
			return
		}
		for _, in := range running {
			host.Sync(in)
		}
		return
	}
	// ec2/ACCOUNT/i/ID is an instance's record (internal/ec2's instanceKey).
	rest, ok := strings.CutPrefix(key, "ec2/")
	if !ok {
		return
	}
	acct, id, ok := strings.Cut(rest, "/i/")
	if !ok || acct == "" || id == "" || strings.Contains(id, "/") {
		return
	}
	in, err := svc.Get(ctx, acct, id)
	if err != nil {
		var ae *awserr.Error
		if !errors.As(err, &ae) || ae.Code != "InvalidInstanceID.NotFound" {
			logger.Warn("instance metadata endpoint", "instance", id, "err", err)
			return
		}
		// Gone from the API: no endpoint.
		in = ec2.Instance{ID: id, Account: acct, State: ec2.Terminated}
	}
	host.Sync(in)
}

func (st *state) close() {
	st.imds.Close(context.Background())
	st.stopFlush()
	<-st.flushDone
	_ = st.iam.FlushAccessKeyUse(context.Background())
	_ = st.store.Close()
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// printFirstStart tells the operator, once, where the root key is and how to use it.
func printFirstStart(std IO, st *state, listen, region string) {
	fmt.Fprintf(std.Stdout, "Gatehouse created account %s with a root access key %s.\n", st.account, st.rootKeyID)
	fmt.Fprintf(std.Stdout, "Its secret is in %s (profile %s, mode 0600); it is not shown again.\n",
		filepath.Join(st.dir, credentialsFile), credentialsProfile)
	fmt.Fprintln(std.Stdout, "Use it from a shell with:")
	fmt.Fprintf(std.Stdout, "  eval \"$(gatehouse env --data %s)\"\n", st.dir)
	fmt.Fprintf(std.Stdout, "  aws iam list-users    # AWS_ENDPOINT_URL=http://%s, region %s\n", listen, region)
}

// logLevel reads GATEHOUSE_LOG_LEVEL (debug, info, warn, error); info by default.
func logLevel(s string) slog.Level {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return slog.LevelInfo
	}
	return l
}
