// Command qops-ferretdb runs FerretDB 1.x with its SQLite backend, embedded as a library.
//
// Built as a wrapper module because `go install .../cmd/ferretdb@v1.24.2` panics at start:
// build/version/version.txt is not part of the published module, and the version check only
// runs when FerretDB is the main module.
package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"log"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	_ "modernc.org/sqlite"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:27017", "TCP address to listen on")
	dir := flag.String("dir", "", "existing directory for the SQLite files")
	watchStdin := flag.Bool("watch-stdin", false, "exit when standard input closes (the parent died)")
	flag.Parse()
	if *dir == "" {
		log.Fatal("-dir is required")
	}
	if err := os.MkdirAll(*dir, 0o755); err != nil {
		log.Fatal(err)
	}

	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: *listen},
		Logger:    slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
		Handler:   "sqlite",
		// WAL without an fsync per commit: a crash of the process loses nothing (the WAL is in the
		// OS cache); only a power cut can undo the last commits, and the files stay consistent.
		SQLiteURL: "file:" + *dir + "/?_pragma=synchronous(normal)",
	})
	if err != nil {
		log.Fatal(err)
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()

	if *watchStdin {
		// A parent killed with SIGKILL cannot stop us; its end of the pipe closing can.
		go func() {
			_, _ = io.Copy(io.Discard, os.Stdin)
			stop()
		}()
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		f.Run(ctx)
	}()
	go indexIDPaths(ctx, *dir)
	// MongoDBURI blocks until the listener is bound, so with port 0 this prints the real port.
	// The parent process waits for this line before connecting.
	fmt.Printf("ready %s\n", f.MongoDBURI())
	<-done
}

// indexIDPaths gives every collection table an index on the expression FerretDB's SQLite
// backend uses to address one document in UPDATE and DELETE (`_ferretdb_sjson->'$._id'`).
// FerretDB's own unique _id index is on `_ferretdb_sjson->"_id"`, which SQLite does not match
// to that expression, so without this every update and delete by _id scans the whole table
// (13 ms at 5,000 documents, 45 ms at 20,000); with it they take about a millisecond.
// It runs beside FerretDB on its own connection (WAL, busy timeout) and only adds indexes.
func indexIDPaths(ctx context.Context, dir string) {
	dbs := map[string]*sql.DB{}
	defer func() {
		for _, db := range dbs {
			_ = db.Close()
		}
	}()
	ticker := time.NewTicker(200 * time.Millisecond)
	defer ticker.Stop()
	for {
		files, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
		for _, file := range files {
			db := dbs[file]
			if db == nil {
				var err error
				db, err = sql.Open("sqlite", "file:"+file+"?_pragma=busy_timeout(10000)")
				if err != nil {
					continue
				}
				db.SetMaxOpenConns(1)
				dbs[file] = db
			}
			indexTables(ctx, db)
		}
		select {
		case <-ctx.Done():
			return
		case <-ticker.C:
		}
	}
}

func indexTables(ctx context.Context, db *sql.DB) {
	rows, err := db.QueryContext(ctx, `SELECT t.name FROM sqlite_master t
		WHERE t.type = 'table' AND t.name NOT LIKE 'sqlite_%' AND t.name NOT LIKE '_ferretdb_%'
		AND t.sql LIKE '%_ferretdb_sjson%'
		AND NOT EXISTS (SELECT 1 FROM sqlite_master i WHERE i.type = 'index' AND i.name = t.name || '_qops_id_path')`)
	if err != nil {
		return
	}
	var tables []string
	for rows.Next() {
		var name string
		if rows.Scan(&name) == nil {
			tables = append(tables, name)
		}
	}
	_ = rows.Close()
	for _, table := range tables {
		q := fmt.Sprintf(`CREATE INDEX IF NOT EXISTS %q ON %q (_ferretdb_sjson->'$._id')`, table+"_qops_id_path", table)
		if _, err := db.ExecContext(ctx, q); err != nil {
			slog.Warn("could not index a table by _id path", "table", table, "error", err)
		}
	}
}
