package journal

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// PG is the PostgreSQL backend (backend "pg"), as Terraform's pg backend:
// the journal is a table, each lock a session-level advisory lock (the
// server frees it when the process dies or its connection drops), and who
// holds it a row beside it. Every record is committed with synchronous
// commit before Append returns.
//
// One connection serves the run: advisory locks belong to a session, and
// every intent travels over the session that holds the locks, so a run whose
// connection dropped (and with it its locks) cannot journal an intent, and
// so cannot send a write.
type PG struct {
	schema string // as given; quoted in every statement
	where  string // host:port/database, for messages

	mu   sync.Mutex // the connection is not safe for concurrent use
	conn *pgx.Conn
	// cfg connects again (live); held counts the advisory locks this
	// session holds: a connection lost while it holds none (a watcher
	// between its writes) is replaced, one lost with locks is not.
	cfg  *pgx.ConnConfig
	held int

	// readOnly: opened for reading (plan, journal): nothing is created,
	// SELECT is all the role needs, and Lock, Append and Prune refuse.
	// empty: the tables do not exist yet.
	readOnly, empty bool

	commits groupCommit[Record] // appends that arrive together share an INSERT
}

// DefaultSchema is the schema of the pg backend when schema_name is unset.
const DefaultSchema = "orderform"

// pgSchemaVersion is the version of the tables this orderform writes. Each
// entry of migrations takes the tables from its index to the next version.
const pgSchemaVersion = 1

var migrations = []string{
	// 0 -> 1
	`CREATE TABLE IF NOT EXISTS %[1]s.journal (
		seq         bigserial PRIMARY KEY,
		endpoint    text        NOT NULL,
		submission  text        NOT NULL,
		kind        text        NOT NULL,
		recorded_at timestamptz NOT NULL,
		campaign_id bigint      NOT NULL DEFAULT 0,
		order_id    bigint      NOT NULL,
		record      jsonb       NOT NULL
	);
	CREATE INDEX IF NOT EXISTS journal_submission ON %[1]s.journal (submission);
	CREATE TABLE IF NOT EXISTS %[1]s.locks (
		endpoint    text   NOT NULL,
		campaign_id bigint NOT NULL,
		holder      jsonb  NOT NULL,
		PRIMARY KEY (endpoint, campaign_id)
	);`,
}

// OpenPG connects to PostgreSQL (connStr: a URL or key=value string; "" takes
// PGHOST, PGUSER, PGPASSWORD, ... and .pgpass as libpq does) and makes sure
// the schema and its tables exist at this version, creating them on first
// use. Every failure (no server, a wrong password, a missing permission) is
// an error here, before the run reads or writes anything.
func OpenPG(ctx context.Context, connStr, schema string) (*PG, error) {
	return openPG(ctx, connStr, schema, false)
}

// OpenPGReadOnly connects for reading only, as plan and journal do: it
// creates nothing (a schema not created yet reads as an empty journal) and
// needs no more than SELECT, so a pull request's plan can run with a role
// that cannot write.
func OpenPGReadOnly(ctx context.Context, connStr, schema string) (*PG, error) {
	return openPG(ctx, connStr, schema, true)
}

func openPG(ctx context.Context, connStr, schema string, readOnly bool) (*PG, error) {
	if schema == "" {
		schema = DefaultSchema
	}
	cfg, err := pgx.ParseConfig(connStr)
	if err != nil {
		return nil, fmt.Errorf("backend pg: connection string: %w", redactConnErr(err))
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 10 * time.Second
	}
	// Durability is the point: whatever the server's default, a commit
	// returns once the record is on disk.
	if cfg.RuntimeParams == nil {
		cfg.RuntimeParams = map[string]string{}
	}
	cfg.RuntimeParams["synchronous_commit"] = "on"
	cfg.RuntimeParams["application_name"] = "orderform"
	where := fmt.Sprintf("%s:%d/%s", cfg.Host, cfg.Port, cfg.Database)
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("backend pg: connect to %s: %w", where, redactConnErr(err))
	}
	b := &PG{schema: schema, where: where, conn: conn, cfg: cfg, readOnly: readOnly}
	b.commits.write = b.insert
	check := b.migrate
	if readOnly {
		check = b.checkReadable
	}
	if err := check(ctx); err != nil {
		conn.Close(context.Background())
		return nil, fmt.Errorf("backend pg (%s, schema %s): %w", where, schema, err)
	}
	return b, nil
}

// redactConnErr keeps a password out of an error about a connection string.
func redactConnErr(err error) error {
	var pe *pgconn.ParseConfigError
	if errors.As(err, &pe) {
		return errors.New("it cannot be parsed (check its syntax: postgres://USER@HOST:PORT/DATABASE?sslmode=...)")
	}
	return err
}

func (b *PG) q(stmt string) string {
	return fmt.Sprintf(stmt, pgx.Identifier{b.schema}.Sanitize())
}

// migrate creates the schema and tables on first use and brings them to
// pgSchemaVersion, one run at a time (a transaction-scoped advisory lock);
// it refuses tables a newer orderform wrote.
func (b *PG) migrate(ctx context.Context) error {
	tx, err := b.conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(context.Background())
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, advisoryKey(b.schema, "migrate", 0)); err != nil {
		return err
	}
	// Tables already at this version need no DDL, and so no CREATE
	// privilege: a team's DBA may make them once and give the role that
	// applies no more than their use. (CREATE ... IF NOT EXISTS checks the
	// privilege even when there is nothing to create.)
	var metaTable *string
	if err := tx.QueryRow(ctx, `SELECT to_regclass($1)::text`, pgx.Identifier{b.schema, "meta"}.Sanitize()).Scan(&metaTable); err != nil {
		return fmt.Errorf("look for the tables: %w", err)
	}
	if metaTable == nil {
		if _, err := tx.Exec(ctx, b.q(`CREATE SCHEMA IF NOT EXISTS %s`)); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		if _, err := tx.Exec(ctx, b.q(`CREATE TABLE IF NOT EXISTS %s.meta (key text PRIMARY KEY, value text NOT NULL)`)); err != nil {
			return fmt.Errorf("create tables: %w", err)
		}
	}
	version := 0
	var v string
	switch err := tx.QueryRow(ctx, b.q(`SELECT value FROM %s.meta WHERE key = 'schema_version'`)).Scan(&v); {
	case errors.Is(err, pgx.ErrNoRows):
	case err != nil:
		return fmt.Errorf("read the schema version: %w", err)
	default:
		if _, err := fmt.Sscan(v, &version); err != nil {
			return fmt.Errorf("schema version %q is not a number", v)
		}
	}
	if version > pgSchemaVersion {
		return fmt.Errorf("the tables are at version %d, written by a newer orderform; this one knows version %d: upgrade orderform", version, pgSchemaVersion)
	}
	if version < pgSchemaVersion {
		for ; version < pgSchemaVersion; version++ {
			if _, err := tx.Exec(ctx, b.q(migrations[version])); err != nil {
				return fmt.Errorf("migrate the tables to version %d: %w", version+1, err)
			}
		}
		if _, err := tx.Exec(ctx, b.q(`INSERT INTO %s.meta (key, value) VALUES ('schema_version', $1)
			ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`), fmt.Sprint(pgSchemaVersion)); err != nil {
			return fmt.Errorf("record the schema version: %w", err)
		}
	}
	// A role that may read but not write fails here, not at its first
	// intent. (has_table_privilege with a list of privileges is true when
	// any one of them is held: each is asked on its own.)
	var ok bool
	if err := tx.QueryRow(ctx, `SELECT bool_and(has_table_privilege(t, p)) AND has_sequence_privilege($3, 'USAGE')
		FROM unnest(ARRAY[$1, $2]::text[]) AS t, unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE']) AS p`,
		b.schema+".journal", b.schema+".locks", b.schema+".journal_seq_seq").Scan(&ok); err != nil {
		return fmt.Errorf("check permissions: %w", err)
	}
	if !ok {
		return fmt.Errorf("this role may not read and write the journal and locks tables: grant SELECT, INSERT, UPDATE and DELETE on %[1]s.journal and %[1]s.locks, and USAGE on the sequence %[1]s.journal_seq_seq", b.schema)
	}
	return tx.Commit(ctx)
}

// checkReadable is migrate for a reader: the version must be one this
// orderform reads, and the role must be allowed to read.
func (b *PG) checkReadable(ctx context.Context) error {
	var journalTable, metaTable *string
	if err := b.conn.QueryRow(ctx, `SELECT to_regclass($1)::text, to_regclass($2)::text`,
		pgx.Identifier{b.schema, "journal"}.Sanitize(), pgx.Identifier{b.schema, "meta"}.Sanitize()).Scan(&journalTable, &metaTable); err != nil {
		return err
	}
	if journalTable == nil || metaTable == nil {
		b.empty = true // created by the first apply
		return nil
	}
	var v string
	if err := b.conn.QueryRow(ctx, b.q(`SELECT value FROM %s.meta WHERE key = 'schema_version'`)).Scan(&v); err != nil {
		return fmt.Errorf("read the schema version: %w", err)
	}
	var version int
	if _, err := fmt.Sscan(v, &version); err != nil {
		return fmt.Errorf("schema version %q is not a number", v)
	}
	if version > pgSchemaVersion {
		return fmt.Errorf("the tables are at version %d, written by a newer orderform; this one knows version %d: upgrade orderform", version, pgSchemaVersion)
	}
	var ok bool
	if err := b.conn.QueryRow(ctx, `SELECT has_table_privilege($1, 'SELECT')`, b.schema+".journal").Scan(&ok); err != nil {
		return fmt.Errorf("check permissions: %w", err)
	}
	if !ok {
		return errors.New("this role may not read the journal table: grant SELECT on it")
	}
	return nil
}

var errReadOnly = errors.New("the backend was opened for reading only")

// Name says where the journal is.
func (b *PG) Name() string { return fmt.Sprintf("PostgreSQL %s, schema %s", b.where, b.schema) }

// Records reads every record, oldest first.
func (b *PG) Records(ctx context.Context) ([]Record, error) {
	if b.empty {
		return nil, nil
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Record
	err := b.again(ctx, func() (err error) {
		out, err = b.records(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("read journal (%s): %w", b.Name(), err)
	}
	return out, nil
}

// again runs f on a live connection and, if the connection was found lost
// only by f's failure, once more on a new one: for what is safe to do twice
// (a read, a try for a lock). Call it holding b.mu.
func (b *PG) again(ctx context.Context, f func() error) error {
	if err := b.live(ctx); err != nil {
		return err
	}
	err := f()
	if err != nil && b.conn.IsClosed() && b.held == 0 {
		if lerr := b.live(ctx); lerr == nil {
			err = f()
		}
	}
	return err
}

// live replaces a connection the server or the network closed, unless the
// session held locks: those went with it, and a run that held them must
// stop rather than go on without them. Call it holding b.mu.
func (b *PG) live(ctx context.Context) error {
	if !b.conn.IsClosed() {
		return nil
	}
	if b.held > 0 {
		return errors.New("the connection to PostgreSQL was lost, and with it this run's locks")
	}
	conn, err := pgx.ConnectConfig(ctx, b.cfg)
	if err != nil {
		return fmt.Errorf("the connection to PostgreSQL was lost; connect again: %w", redactConnErr(err))
	}
	b.conn = conn
	return nil
}

// records reads every record over the current connection.
func (b *PG) records(ctx context.Context) ([]Record, error) {
	rows, err := b.conn.Query(ctx, b.q(`SELECT seq, record FROM %s.journal ORDER BY seq`))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Record
	for rows.Next() {
		var seq int64
		var data []byte
		if err := rows.Scan(&seq, &data); err != nil {
			return nil, err
		}
		var r Record
		if err := json.Unmarshal(data, &r); err != nil || r.ID == "" || r.Kind == "" {
			return nil, fmt.Errorf("record seq %d is damaged; the other records are intact: check its order in the Market, then delete it alone (DELETE FROM %s.journal WHERE seq = %d)",
				seq, b.schema, seq)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// Append commits records; concurrent calls share one INSERT and one commit.
func (b *PG) Append(records ...Record) error {
	if len(records) == 0 {
		return nil
	}
	if b.readOnly {
		return errReadOnly
	}
	b.prepare(records)
	return b.wrap(records, b.commits.add(records...))
}

// AppendLater queues records for the next commit (see LaterAppender).
func (b *PG) AppendLater(records ...Record) (wait func() error) {
	if len(records) == 0 {
		return func() error { return nil }
	}
	if b.readOnly {
		return func() error { return errReadOnly }
	}
	b.prepare(records)
	w := b.commits.later(records...)
	return func() error { return b.wrap(records, w()) }
}

func (b *PG) prepare(records []Record) {
	now := time.Now().UTC()
	for i := range records {
		if records[i].Time.IsZero() {
			records[i].Time = now
		}
		records[i].Error = truncate(records[i].Error, MaxErrorLen)
		storable(&records[i])
	}
}

// wrap says which records an append error is about.
func (b *PG) wrap(records []Record, err error) error {
	if err == nil {
		return nil
	}
	what := fmt.Sprintf("%s for order %d", records[0].Kind, records[0].OrderID)
	if len(records) > 1 {
		what = fmt.Sprintf("%d records", len(records))
	}
	return fmt.Errorf("journal %s (%s): %w", what, b.Name(), err)
}

// storable replaces the NUL characters of what a record takes from outside
// (an API message, an operation's ID, an address): PostgreSQL's text and
// jsonb cannot hold one, and an INSERT refusing it would lose the record and
// every other one of its group commit.
func storable(r *Record) {
	clean := func(s string) string { return strings.ReplaceAll(s, "\x00", "\uFFFD") }
	r.Error, r.Address, r.By = clean(r.Error), clean(r.Address), clean(r.By)
	if len(r.Operations) > 0 {
		ops := make([]Operation, len(r.Operations))
		for i, o := range r.Operations {
			ops[i] = Operation{ID: clean(o.ID), Type: clean(o.Type)}
		}
		r.Operations = ops
	}
}

// insert writes records in one statement: one commit, synchronous.
func (b *PG) insert(recs []Record) error {
	var sb strings.Builder
	args := make([]any, 0, len(recs)*7)
	sb.WriteString(b.q(`INSERT INTO %s.journal (endpoint, submission, kind, recorded_at, campaign_id, order_id, record) VALUES `))
	for i, r := range recs {
		data, err := json.Marshal(r)
		if err != nil {
			return err
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		n := len(args)
		fmt.Fprintf(&sb, "($%d, $%d, $%d, $%d, $%d, $%d, $%d)", n+1, n+2, n+3, n+4, n+5, n+6, n+7)
		args = append(args, r.Endpoint, r.ID, r.Kind, r.Time, r.CampaignID, r.OrderID, data)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.live(ctx); err != nil {
		return err
	}
	// Never made again on a new connection: whether a commit the
	// connection dropped under went through is unknown.
	_, err := b.conn.Exec(ctx, sb.String(), args...)
	return err
}

// Prune deletes the records of the locked campaigns' settled submissions.
func (b *PG) Prune(ctx context.Context, locks Locks) error {
	if b.readOnly {
		return errReadOnly
	}
	recs, err := b.Records(ctx)
	if err != nil {
		return err
	}
	ids := settledIn(recs, locks.Keys())
	if len(ids) == 0 {
		return nil
	}
	list := make([]string, 0, len(ids))
	for id := range ids {
		list = append(list, id)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if err := b.live(ctx); err != nil {
		return fmt.Errorf("prune journal (%s): %w", b.Name(), err)
	}
	if _, err := b.conn.Exec(ctx, b.q(`DELETE FROM %s.journal WHERE submission = ANY($1)`), list); err != nil {
		return fmt.Errorf("prune journal (%s): %w", b.Name(), err)
	}
	return nil
}

// Close ends the session, and with it every advisory lock it holds.
func (b *PG) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.conn.Close(context.Background())
}

// advisoryKey is the advisory lock of one key: a digest of the schema, the
// endpoint and the campaign (two configurations sharing a database but not
// a schema do not block each other).
func advisoryKey(schema, endpoint string, campaign int64) int64 {
	h := sha256.Sum256(fmt.Appendf(nil, "orderform\x00%s\x00%s\x00%d", schema, endpoint, campaign))
	return int64(binary.BigEndian.Uint64(h[:8]))
}

// Lock takes a session-level advisory lock per key, in order, and records
// the holder beside each.
func (b *PG) Lock(ctx context.Context, keys []LockKey, holder Holder, timeout time.Duration, onWait func(LockKey, Holder)) (Locks, error) {
	if b.readOnly {
		return nil, errReadOnly
	}
	held := &pgLocks{b: b}
	info, _ := json.Marshal(holder)
	for _, k := range SortKeys(keys) {
		key := advisoryKey(b.schema, k.Endpoint, k.CampaignID)
		err := waitFor(ctx, k, timeout, onWait, func() (bool, Holder, error) {
			b.mu.Lock()
			defer b.mu.Unlock()
			var ok bool
			// A lock taken on a session that then drops dies with it:
			// trying again on a new one is safe.
			err := b.again(ctx, func() error {
				if err := b.conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, key).Scan(&ok); err != nil || !ok {
					return err
				}
				_, err := b.conn.Exec(ctx, b.q(`INSERT INTO %s.locks (endpoint, campaign_id, holder) VALUES ($1, $2, $3)
					ON CONFLICT (endpoint, campaign_id) DO UPDATE SET holder = EXCLUDED.holder`), k.Endpoint, k.CampaignID, info)
				if err != nil {
					_, _ = b.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key)
				}
				return err
			})
			if err != nil {
				return false, Holder{}, err
			}
			if ok {
				b.held++
				return true, Holder{}, nil
			}
			var h Holder
			var data []byte
			if err := b.conn.QueryRow(ctx, b.q(`SELECT holder FROM %s.locks WHERE endpoint = $1 AND campaign_id = $2`), k.Endpoint, k.CampaignID).Scan(&data); err == nil {
				_ = json.Unmarshal(data, &h)
			}
			return false, h, nil
		})
		if err != nil {
			_ = held.Release()
			var le *LockedError
			if errors.As(err, &le) {
				return nil, err
			}
			return nil, fmt.Errorf("lock (%s): %w", b.Name(), err)
		}
		held.keys = append(held.keys, k)
	}
	return held, nil
}

type pgLocks struct {
	b    *PG
	keys []LockKey
}

func (h *pgLocks) Keys() []LockKey { return h.keys }

// Release gives the locks back (closing the backend does too).
func (h *pgLocks) Release() error {
	b := h.b
	b.mu.Lock()
	defer b.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var first error
	for i := len(h.keys) - 1; i >= 0; i-- {
		k := h.keys[i]
		_, _ = b.conn.Exec(ctx, b.q(`DELETE FROM %s.locks WHERE endpoint = $1 AND campaign_id = $2`), k.Endpoint, k.CampaignID)
		if _, err := b.conn.Exec(ctx, `SELECT pg_advisory_unlock($1)`, advisoryKey(b.schema, k.Endpoint, k.CampaignID)); err != nil && first == nil {
			first = err
		}
		// Given back, or gone with a lost connection: either way no
		// longer held.
		b.held--
	}
	h.keys = nil
	return first
}
