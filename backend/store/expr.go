package store

import (
	"encoding/json"
	"math"
	"strings"

	"github.com/convex-go/convex/backend/values"
)

// expr is a compiled filter expression (§5.5).
type expr interface {
	eval(doc Document) (values.Value, error)
}

type literalExpr struct{ v values.Value }
type fieldExpr struct{ path string }
type binaryExpr struct {
	op   string
	l, r expr
}
type unaryExpr struct {
	op string
	x  expr
}
type naryExpr struct {
	op string
	xs []expr
}

func invalidExpr(format string, args ...any) error {
	return userErrorf("InvalidFilter", "Invalid filter expression: "+format, args...)
}

func parseExpr(raw json.RawMessage) (expr, error) {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || len(m) != 1 {
		return nil, invalidExpr("expected an object with one operator, got %s", truncate(string(raw), 80))
	}
	for op, arg := range m {
		switch op {
		case "$literal":
			v, err := values.Decode(arg)
			if err != nil {
				return nil, invalidExpr("bad literal: %v", err)
			}
			return literalExpr{v}, nil
		case "$field":
			var path string
			if err := json.Unmarshal(arg, &path); err != nil {
				return nil, invalidExpr("$field needs a string")
			}
			return fieldExpr{path}, nil
		case "$eq", "$neq", "$lt", "$lte", "$gt", "$gte", "$add", "$sub", "$mul", "$div", "$mod":
			var args []json.RawMessage
			if err := json.Unmarshal(arg, &args); err != nil || len(args) != 2 {
				return nil, invalidExpr("%s needs two operands", op)
			}
			l, err := parseExpr(args[0])
			if err != nil {
				return nil, err
			}
			r, err := parseExpr(args[1])
			if err != nil {
				return nil, err
			}
			return binaryExpr{op, l, r}, nil
		case "$neg", "$not":
			x, err := parseExpr(arg)
			if err != nil {
				return nil, err
			}
			return unaryExpr{op, x}, nil
		case "$and", "$or":
			var args []json.RawMessage
			if err := json.Unmarshal(arg, &args); err != nil {
				return nil, invalidExpr("%s needs an array of operands", op)
			}
			n := naryExpr{op: op}
			for _, a := range args {
				x, err := parseExpr(a)
				if err != nil {
					return nil, err
				}
				n.xs = append(n.xs, x)
			}
			return n, nil
		default:
			return nil, invalidExpr("unknown operator %q", op)
		}
	}
	panic("unreachable")
}

func (e literalExpr) eval(Document) (values.Value, error) { return e.v, nil }

func (e fieldExpr) eval(doc Document) (values.Value, error) { return fieldValue(doc, e.path), nil }

func evalError(format string, args ...any) error {
	return userErrorf("EvalError", format, args...)
}

func (e binaryExpr) eval(doc Document) (values.Value, error) {
	l, err := e.l.eval(doc)
	if err != nil {
		return nil, err
	}
	r, err := e.r.eval(doc)
	if err != nil {
		return nil, err
	}
	switch e.op {
	case "$eq":
		return values.Compare(l, r) == 0, nil
	case "$neq":
		return values.Compare(l, r) != 0, nil
	case "$lt":
		return values.Compare(l, r) < 0, nil
	case "$lte":
		return values.Compare(l, r) <= 0, nil
	case "$gt":
		return values.Compare(l, r) > 0, nil
	case "$gte":
		return values.Compare(l, r) >= 0, nil
	}
	return arith(e.op, l, r)
}

func arith(op string, l, r values.Value) (values.Value, error) {
	name := strings.TrimPrefix(op, "$")
	switch a := l.(type) {
	case int64:
		b, ok := r.(int64)
		if !ok {
			break
		}
		switch op {
		case "$add":
			s := a + b
			if (s > a) != (b > 0) {
				return nil, evalError("Integer overflow in %s: %d + %d", name, a, b)
			}
			return s, nil
		case "$sub":
			s := a - b
			if (s < a) != (b > 0) {
				return nil, evalError("Integer overflow in %s: %d - %d", name, a, b)
			}
			return s, nil
		case "$mul":
			if a == 0 || b == 0 {
				return int64(0), nil
			}
			p := a * b
			if p/b != a || (a == -1 && b == math.MinInt64) || (b == -1 && a == math.MinInt64) {
				return nil, evalError("Integer overflow in %s: %d * %d", name, a, b)
			}
			return p, nil
		case "$div", "$mod":
			if b == 0 {
				return nil, evalError("Integer division by zero in %s", name)
			}
			if a == math.MinInt64 && b == -1 {
				return nil, evalError("Integer overflow in %s: %d / %d", name, a, b)
			}
			if op == "$div" {
				return a / b, nil
			}
			return a % b, nil
		}
	case float64:
		b, ok := r.(float64)
		if !ok {
			break
		}
		switch op {
		case "$add":
			return a + b, nil
		case "$sub":
			return a - b, nil
		case "$mul":
			return a * b, nil
		case "$div":
			return a / b, nil
		case "$mod":
			return math.Mod(a, b), nil
		}
	}
	return nil, evalError("Cannot %s %s and %s: arithmetic needs two int64 or two float64 values", name, values.TypeName(l), values.TypeName(r))
}

func (e unaryExpr) eval(doc Document) (values.Value, error) {
	x, err := e.x.eval(doc)
	if err != nil {
		return nil, err
	}
	if e.op == "$not" {
		b, ok := x.(bool)
		if !ok {
			return nil, evalError("$not needs a boolean, got %s", values.TypeName(x))
		}
		return !b, nil
	}
	switch v := x.(type) {
	case int64:
		if v == math.MinInt64 {
			return nil, evalError("Integer overflow in neg: -(%d)", v)
		}
		return -v, nil
	case float64:
		return -v, nil
	}
	return nil, evalError("$neg needs a number, got %s", values.TypeName(x))
}

func (e naryExpr) eval(doc Document) (values.Value, error) {
	result := e.op == "$and"
	for _, x := range e.xs {
		v, err := x.eval(doc)
		if err != nil {
			return nil, err
		}
		b, ok := v.(bool)
		if !ok {
			return nil, evalError("%s needs booleans, got %s", e.op, values.TypeName(v))
		}
		if e.op == "$and" {
			result = result && b
		} else {
			result = result || b
		}
	}
	return result, nil
}
