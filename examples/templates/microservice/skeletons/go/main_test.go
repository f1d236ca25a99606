package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHealthz(t *testing.T) {
	recorder := httptest.NewRecorder()
	newHandler(nil).ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/healthz", nil))

	if recorder.Code != http.StatusOK {
		t.Fatalf("GET /healthz answered %d, want %d", recorder.Code, http.StatusOK)
	}
	var body map[string]string
	if err := json.NewDecoder(recorder.Body).Decode(&body); err != nil {
		t.Fatalf("GET /healthz body is not JSON: %v", err)
	}
	if body["status"] != "ok" {
		t.Fatalf("GET /healthz status is %q, want %q", body["status"], "ok")
	}
}

func TestUnknownPath(t *testing.T) {
	recorder := httptest.NewRecorder()
	newHandler(nil).ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/nope", nil))

	if recorder.Code != http.StatusNotFound {
		t.Fatalf("GET /nope answered %d, want %d", recorder.Code, http.StatusNotFound)
	}
}

func TestRootWithoutDatabase(t *testing.T) {
	recorder := httptest.NewRecorder()
	newHandler(nil).ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/", nil))

	var body map[string]any
	if err := json.NewDecoder(recorder.Body).Decode(&body); err != nil {
		t.Fatalf("GET / body is not JSON: %v", err)
	}
	if _, ok := body["database"]; ok {
		t.Fatalf("GET / names a database the service does not have: %v", body)
	}
}

func TestRootNamesTheDatabaseButNotItsCredentials(t *testing.T) {
	db, err := databaseFromURL("postgres://svc:s3cret-canary@db.internal:5432/orders?sslmode=require")
	if err != nil {
		t.Fatalf("databaseFromURL: %v", err)
	}
	recorder := httptest.NewRecorder()
	newHandler(db).ServeHTTP(recorder, httptest.NewRequest(http.MethodGet, "/", nil))

	text := recorder.Body.String()
	if !strings.Contains(text, `"host":"db.internal"`) || !strings.Contains(text, `"name":"orders"`) {
		t.Fatalf("GET / does not name the database: %s", text)
	}
	if strings.Contains(text, "s3cret-canary") || strings.Contains(text, "svc") {
		t.Fatalf("GET / shows the database credentials: %s", text)
	}
}

func TestMalformedDatabaseURLIsRefusedWithoutQuotingIt(t *testing.T) {
	_, err := databaseFromURL("mysql://svc:s3cret-canary@db.internal/orders")
	if err == nil {
		t.Fatal("a mysql URL was taken for a PostgreSQL database")
	}
	if strings.Contains(err.Error(), "s3cret-canary") {
		t.Fatalf("the error quotes the password: %v", err)
	}
}
