// Command ferretdb-sqlite runs FerretDB v1 with its SQLite backend through FerretDB's embeddable
// package: a real MongoDB wire-protocol server for local runs and tests.
//
// Why a launcher instead of FerretDB's own cmd/ferretdb: `go install ...@v1.24.0` cannot be used (the
// module proxy refuses the v1 version list that `go install pkg@version` reads), and a binary built
// from cmd/ferretdb outside FerretDB's repository panics at start because the module zip lacks the
// generated build/version/version.txt. The embeddable package is FerretDB's documented API for exactly
// this (telemetry is disabled in it), and the wire protocol and backend are the same code.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/FerretDB/FerretDB/ferretdb"
)

func main() {
	listen := flag.String("listen-addr", "127.0.0.1:27017", "TCP address to listen on")
	dataDir := flag.String("data-dir", "", "directory of the SQLite database files (required)")
	logLevel := flag.String("log-level", "warn", "debug, info, warn or error")
	flag.Parse()

	if *dataDir == "" {
		fmt.Fprintln(os.Stderr, "ferretdb-sqlite: --data-dir is required")
		os.Exit(2)
	}
	absDir, err := filepath.Abs(*dataDir)
	if err == nil {
		err = os.MkdirAll(absDir, 0o700)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-sqlite: data dir %q: %v\n", *dataDir, err)
		os.Exit(2)
	}

	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-sqlite: --log-level: %v\n", err)
		os.Exit(2)
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	server, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    logger,
		Handler:   "sqlite",
		// synchronous(normal) with FerretDB's WAL journal (docs/adr/0057): a commit no longer waits for
		// an fsync of the log. A crash of any process loses nothing; an OS crash or power cut may lose
		// the last commits, never corrupting the files. Halves a single insert's time locally.
		SQLiteURL: "file:" + absDir + "/?_pragma=synchronous(normal)",
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-sqlite: %v\n", err)
		os.Exit(1)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	logger.Info("listening", "addr", *listen, "uri", server.MongoDBURI(), "data_dir", absDir)
	if err := server.Run(ctx); err != nil {
		fmt.Fprintf(os.Stderr, "ferretdb-sqlite: %v\n", err)
		os.Exit(1)
	}
}
