// Added to FerretDB v1.24.0's SQLite backend by the project's build (jingwu_devstack.ferretdb_patch,
// ADR 0053): the WHERE clause for a filter's _id, so that it is answered from the collection's _id index
// instead of a scan of every row.
//
// Upstream pushes down only a filter that is exactly {_id: <string or ObjectID>}; this also pushes down
// {_id: {$in: [<string or ObjectID>, ...]}} (at most idPushdownMaxIn values), and either of them beside
// other top-level keys ({_id: x, version: 3}: a version-checked save, a conditional update). Pushdown
// returns a superset of the matching documents: every caller (find, count, update, delete,
// findAndModify) applies the whole filter again in Go afterwards, and pushes no limit down for a
// non-empty filter. Any other _id filter, or a filter that names _id twice, returns no clause (the
// previous behaviour: every row is read).

package sqlite

import (
	"fmt"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// idPushdownMaxIn bounds the bound parameters of one $in (SQLite's limit is far above it).
const idPushdownMaxIn = 10_000

// idPushdown returns the WHERE clause and its arguments for a filter's top-level _id, if it has one.
func idPushdown(filter *types.Document) (string, []any) {
	named := 0

	for _, k := range filter.Keys() {
		if k == "_id" {
			named++
		}
	}

	if named != 1 {
		return "", nil // Get panics on a duplicated key
	}

	switch v := must.NotFail(filter.Get("_id")).(type) {
	case string, types.ObjectID:
		return fmt.Sprintf(` WHERE %s = ?`, metadata.IDColumn), []any{idArg(v)}

	case *types.Document:
		if v.Len() != 1 {
			return "", nil
		}

		in, err := v.Get("$in")
		if err != nil {
			return "", nil
		}

		values, ok := in.(*types.Array)
		if !ok || values.Len() == 0 || values.Len() > idPushdownMaxIn {
			return "", nil
		}

		placeholders := make([]string, values.Len())
		args := make([]any, values.Len())

		for i := 0; i < values.Len(); i++ {
			value := must.NotFail(values.Get(i))

			switch value.(type) {
			case string, types.ObjectID:
			default:
				return "", nil
			}

			placeholders[i] = "?"
			args[i] = idArg(value)
		}

		return fmt.Sprintf(` WHERE %s IN (%s)`, metadata.IDColumn, strings.Join(placeholders, ", ")), args
	}

	return "", nil
}

// idArg is the stored form of an _id value, as the _id index holds it.
func idArg(v any) string {
	return string(must.NotFail(sjson.MarshalSingleValue(v)))
}
