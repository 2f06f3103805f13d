// Package server owns Gatehouse's HTTP edge: routing a request to the service named in its
// signing scope, authentication, authorization, audit and error rendering.
package server

import (
	"encoding/json"
	"log/slog"
	"net/http"
	"time"
)

// Config is what the edge needs to serve; zero fields are filled by withDefaults.
type Config struct {
	Region  string
	Mode    string
	Logger  *slog.Logger
	Now     func() time.Time
	Version string
}

func (c Config) withDefaults() Config {
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.Mode == "" {
		c.Mode = "production"
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Server is the API endpoint's handler.
type Server struct {
	cfg     Config
	started time.Time
	mux     *http.ServeMux
}

// New returns a server ready to handle requests.
func New(cfg Config) *Server {
	cfg = cfg.withDefaults()
	s := &Server{cfg: cfg, started: cfg.Now(), mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /_gatehouse/health", s.health)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// health answers once the server is ready; DESIGN.md's reserved path /_gatehouse/health.
func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"status": "ok",
		"mode":   s.cfg.Mode,
		"region": s.cfg.Region,
		"uptime": s.cfg.Now().Sub(s.started).Round(time.Millisecond).String(),
	})
}
