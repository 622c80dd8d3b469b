// Added to FerretDB v1.24.0's SQLite backend by the project's build (jingwu_devstack.ferretdb_patch,
// ADR 0053): the WHERE clause for a filter, so that SQLite answers what its indexes can answer instead
// of FerretDB reading and decoding every row of the collection.
//
// Upstream pushes down only a filter that is exactly {_id: <string or ObjectID>}. This pushes down
//   - {_id: <string or ObjectID>} and {_id: {$in: [<string or ObjectID>, ...]}};
//   - {field: <string or bool>} and {field: {$in: [<string or bool>, ...]}} for a plain top-level field
//     (letters, digits, underscore), each as "the field's JSON is one of the values, or is an array":
//     MongoDB's equality also matches an array that holds the value, so every array is kept. That is
//     the expression of FerretDB's index on the field (createIndexes: _ferretdb_sjson->"field"), so
//     SQLite probes the index twice (the values, then the range of arrays); without an index it still
//     reads the rows in C without decoding them in Go;
//   - the same for a dotted path of such names ({"condition.officer_id": x}), as
//     _ferretdb_sjson->'condition'->'officer_id' (the expression of an index on the path), where every
//     row whose value at a shorter prefix of the path is an array is kept too: MongoDB's path walks
//     into the documents of an array, which the JSON path does not;
//
// each beside any other keys, joined by AND ({_id: x, version: 3}: a version-checked save; {district,
// status, kind}: a listing). The clause returns a superset of the matching documents: every caller
// (find, count, update, delete, distinct, findAndModify, aggregate's $match) applies the whole filter
// again in Go afterwards, and none pushes a limit down for a non-empty filter. A key named twice (Get
// panics on it), a $-key, a path with a numeric or other non-plain part, numbers (1 and 1.0 are equal
// in MongoDB, not as JSON text) and every other operator add no condition.

package sqlite

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/FerretDB/FerretDB/internal/backends/sqlite/metadata"
	"github.com/FerretDB/FerretDB/internal/handler/sjson"
	"github.com/FerretDB/FerretDB/internal/types"
	"github.com/FerretDB/FerretDB/internal/util/must"
)

// pushdownMaxIn bounds the bound parameters of one $in (SQLite's limit is far above it).
const pushdownMaxIn = 10_000

// pushdownMaxFields bounds the fields other than _id a clause names.
const pushdownMaxFields = 8

// plainField is a key, or a dotted path of keys, whose parts can be written into the clause as JSON
// object labels (no part is numeric: "a.0" may name an array element).
var plainField = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)

// pushdown returns the WHERE clause and its arguments for a filter, and whether the clause is the whole
// filter (only an _id condition alone is: explain reports it as filterPushdown).
func pushdown(filter *types.Document) (string, []any, bool) {
	named := make(map[string]int, filter.Len())
	for _, k := range filter.Keys() {
		named[k]++
	}

	var conditions []string
	var args []any
	exact := false

	if named["_id"] == 1 {
		if condition, values := idCondition(must.NotFail(filter.Get("_id"))); condition != "" {
			conditions = append(conditions, condition)
			args = append(args, values...)
			exact = filter.Len() == 1
		}
	}

	fields := 0

	for _, k := range filter.Keys() {
		if k == "_id" || named[k] != 1 || !plainField.MatchString(k) || fields == pushdownMaxFields {
			continue
		}

		if condition, values := fieldCondition(k, must.NotFail(filter.Get(k))); condition != "" {
			conditions = append(conditions, condition)
			args = append(args, values...)
			fields++
		}
	}

	if len(conditions) == 0 {
		return "", nil, false
	}

	return " WHERE " + strings.Join(conditions, " AND "), args, exact
}

// idCondition is the condition on the _id column for an _id filter value, or "".
func idCondition(v any) (string, []any) {
	values, ok := pushdownValues(v, func(value any) bool {
		switch value.(type) {
		case string, types.ObjectID:
			return true
		}

		return false
	})
	if !ok {
		return "", nil
	}

	if _, in := v.(*types.Document); !in {
		return fmt.Sprintf(`%s = ?`, metadata.IDColumn), values
	}

	return fmt.Sprintf(`%s IN (%s)`, metadata.IDColumn, placeholders(len(values))), values
}

// fieldCondition is the condition on a field (a plain key or a dotted path of them) for its filter
// value, or "".
func fieldCondition(field string, v any) (string, []any) {
	values, ok := pushdownValues(v, func(value any) bool {
		switch value.(type) {
		case string, bool:
			return true
		}

		return false
	})
	if !ok {
		return "", nil
	}

	// The expression of FerretDB's index on the field (or path); the labels are plain identifiers
	// (plainField). Every prefix of a path that holds an array keeps the row.
	expr := metadata.DefaultColumn
	var arrays []string

	for _, part := range strings.Split(field, ".") {
		expr = fmt.Sprintf(`%s->'%s'`, expr, part)
		arrays = append(arrays, isArray(expr))
	}

	kept := strings.Join(arrays, " OR ")

	if _, in := v.(*types.Document); !in {
		return fmt.Sprintf(`(%s = ? OR %s)`, expr, kept), values
	}

	return fmt.Sprintf(`(%s IN (%s) OR %s)`, expr, placeholders(len(values)), kept), values
}

// isArray is the condition that the JSON text of expr is an array: an array's JSON text starts with '['
// and nothing else's does, so the range '[' <= x < '\' is every array.
func isArray(expr string) string {
	return fmt.Sprintf(`(%s >= '[' AND %s < '\')`, expr, expr)
}

// pushdownValues returns the stored forms of a filter value: the value itself, or the values of an
// {$in: [...]} that is the value's only key; ok is false if any value is not accepted.
func pushdownValues(v any, accepted func(any) bool) ([]any, bool) {
	doc, isDoc := v.(*types.Document)
	if !isDoc {
		if !accepted(v) {
			return nil, false
		}

		return []any{storedForm(v)}, true
	}

	if doc.Len() != 1 {
		return nil, false
	}

	in, err := doc.Get("$in")
	if err != nil {
		return nil, false
	}

	array, ok := in.(*types.Array)
	if !ok || array.Len() == 0 || array.Len() > pushdownMaxIn {
		return nil, false
	}

	values := make([]any, array.Len())

	for i := 0; i < array.Len(); i++ {
		value := must.NotFail(array.Get(i))
		if !accepted(value) {
			return nil, false
		}

		values[i] = storedForm(value)
	}

	return values, true
}

// storedForm is a value's JSON text as FerretDB stores it, which is what an index on it holds.
func storedForm(v any) string {
	return string(must.NotFail(sjson.MarshalSingleValue(v)))
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
