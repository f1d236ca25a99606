// Command ${{ values.name }} serves ${{ values.name }} over HTTP.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"log"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

const serviceName = "${{ values.name }}"

// database is where the service's PostgreSQL database is, when the platform
// provisioned one. It leaves out who logs in and with what password: those
// stay in the URL, which is never logged or served.
type database struct {
	Host string `json:"host"`
	Name string `json:"name"`
}

// databaseFromURL reads the DATABASE_URL the platform sets from the
// database's Secret; an empty one means the service has no database.
func databaseFromURL(raw string) (*database, error) {
	if raw == "" {
		return nil, nil
	}
	parsed, err := url.Parse(raw)
	if err != nil || (parsed.Scheme != "postgres" && parsed.Scheme != "postgresql") || parsed.Host == "" {
		// url.Parse quotes its input, password included, in its error.
		return nil, errors.New("DATABASE_URL is not a postgres:// URL")
	}
	return &database{Host: parsed.Hostname(), Name: strings.TrimPrefix(parsed.Path, "/")}, nil
}

// newHandler returns the service's routes. Kubernetes probes /healthz, so it
// must answer without touching any dependency.
func newHandler(db *database) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
			return
		}
		body := map[string]any{"service": serviceName, "message": "hello"}
		if db != nil {
			body["database"] = db
		}
		writeJSON(w, http.StatusOK, body)
	})
	return mux
}

func writeJSON(w http.ResponseWriter, status int, body any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if err := json.NewEncoder(w).Encode(body); err != nil {
		log.Printf("writing response: %v", err)
	}
}

func main() {
	port := os.Getenv("PORT")
	if port == "" {
		port = "8080"
	}
	db, err := databaseFromURL(os.Getenv("DATABASE_URL"))
	if err != nil {
		log.Fatal(err)
	}
	if db != nil {
		log.Printf("database %s on %s", db.Name, db.Host)
	}
	server := &http.Server{
		Addr:              ":" + port,
		Handler:           newHandler(db),
		ReadHeaderTimeout: 5 * time.Second,
	}

	// Kubernetes sends SIGTERM before it kills a pod: finish in-flight
	// requests instead of dropping them.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := server.Shutdown(shutdownCtx); err != nil {
			log.Printf("shutdown: %v", err)
		}
	}()

	log.Printf("%s listening on :%s", serviceName, port)
	if err := server.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatal(err)
	}
}
