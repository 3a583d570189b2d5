package commands

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/urfave/cli/v2"

	"github.com/convex-go/convex/anonymous"
	"github.com/convex-go/convex/deployments"
	"github.com/convex-go/convex/push"
	"github.com/convex-go/convex/subscribe"
	"github.com/convex-go/convex/ui"
)

func newRunCommand(d *Deps) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "Run a function or evaluate an inline readonly query on your deployment",
		ArgsUsage: "[functionName] [args]",
		Description: "Call a query, mutation or action on your deployment and print its result. " +
			"Arguments are one JSON object (relaxed JSON is fine: unquoted keys, single quotes); it defaults to {}. " +
			"By default this runs on your dev deployment.\n\n" +
			"• Call with arguments: convex run messages:send '{\"body\": \"hello\", \"author\": \"me\"}'\n" +
			"• Call on production: convex run messages:list --prod\n" +
			"• Print a query's result again whenever it changes: convex run messages:list --watch\n" +
			"• Push your local code first: convex run messages:send '{}' --push\n" +
			"• Evaluate a readonly query written inline: convex run --inline-query 'await ctx.db.query(\"messages\").take(5)'",
		Flags: withFlags([]cli.Flag{
			shortBool("watch", "w", "Keep watching a query and print its result every time it changes."),
			valueFlag("inline-query", "query", "Evaluate this readonly query code instead of a deployed function; `ctx` is in scope and the value of the last expression is printed."),
			boolFlag("push", "Push your code to the deployment before running the function."),
			hiddenBool("no-push", "Accepted for old scripts; does nothing."),
			valueFlag("identity", "identity", `Run as this user: a JSON object for ctx.auth, e.g. '{ name: "John", address: "0x123" }'.`),
			typecheckFlag("With --push: typecheck your functions with `tsc --noEmit` first."),
			typecheckComponentsFlag(),
			codegenFlag("With --push: regenerate the code in convex/_generated first."),
			componentFlag(),
			hiddenBool("live-component-sources", "Bundle components from their sources instead of their builds."),
		}, selectionFlags("Run the function on", false)),
		Action: d.run,
	}
}

func (d *Deps) run(c *cli.Context) error {
	name := c.Args().Get(0)
	args := c.Args().Get(1)
	if c.Args().Len() < 2 {
		// Only a missing argument means {}: an empty one is refused, as
		// by the npm CLI.
		args = "{}"
	}
	inline := strings.TrimSpace(c.String("inline-query"))
	switch {
	case c.IsSet("inline-query") && name != "":
		return ui.Usage("`convex run` accepts either <functionName> or `--inline-query`, not both.")
	case c.IsSet("inline-query") && inline == "":
		return ui.Usage("`--inline-query` must not be empty.")
	case c.IsSet("inline-query") && c.Bool("watch"):
		return ui.Usage("`--inline-query` can't be combined with `--watch`. Use `convex run <functionName> --watch` for named deployed queries.")
	case c.IsSet("inline-query") && c.IsSet("identity"):
		return ui.Usage("`--inline-query` can't be combined with `--identity`.")
	case c.IsSet("inline-query") && c.IsSet("component"):
		return ui.Errorf("`--inline-query` with `--component` is not available in this build yet.")
	case name == "" && !c.IsSet("inline-query"):
		return ui.Usage("`convex run` requires either <functionName> or `--inline-query`.")
	}
	if c.Bool("push") {
		if err := push.CheckConvexDependency(d.Cwd, "run"); err != nil {
			return d.pushErr(err)
		}
	}
	t, stop, err := d.reachTarget(c, "run")
	if err != nil {
		return err
	}
	defer stop()
	pc := push.NewClient(t.URL, t.AdminKey)
	pc.HTTP = d.httpClient()
	if c.Bool("push") {
		o := push.DevOptions{Push: d.pushOptions(c, t, pc, "run"), UntilSuccess: true}
		spin := d.newProgress()
		o.Push.Progress = spin.update
		o.OnWait = spin.stop
		err := push.Dev(c.Context, o)
		spin.stop()
		if err != nil {
			return d.pushErr(err)
		}
	}
	if c.Bool("watch") {
		return d.runWatch(c.Context, t, name, args, c.String("identity"), c.String("component"))
	}
	if inline != "" {
		res, err := pc.RunTestQuery(c.Context, push.InlineQuerySource(inline), "")
		if err != nil {
			var fe *push.FunctionError
			if errors.As(err, &fe) {
				return ui.Errorf("%s", fe.Message)
			}
			return ui.Wrap(err, "Could not run the inline query")
		}
		for _, l := range res.LogLines {
			var s string
			if json.Unmarshal(l, &s) == nil {
				d.Out.Message("%s", s)
			}
		}
		d.printValue(res.Value)
		return nil
	}
	if c.Bool("watch") {
		return d.watchQuery(c.Context, pc, name, args, c.String("identity"), c.String("component"))
	}
	return d.runFunction(c.Context, pc, name, args, c.String("identity"), c.String("component"), true)
}

// watchQuery prints the query's result every time it changes, until
// interrupted (which ends it successfully).
func (d *Deps) watchQuery(ctx context.Context, pc *push.Client, name, argsText, identityText, component string) error {
	argsJSON, err := relaxedJSON(argsText)
	if err != nil {
		return ui.Errorf("Failed to parse arguments as JSON: %q\n%v", argsText, err)
	}
	var identity json.RawMessage
	if identityText != "" {
		if identity, err = fakeIdentity(identityText); err != nil {
			return err
		}
	}
	fnDir := "convex/"
	if cfg, err := push.LoadProjectConfig(d.Cwd, nil); err == nil {
		fnDir = cfg.Functions
	}
	path, err := parseFunctionName(name, fnDir, d.Cwd)
	if err != nil {
		return err
	}
	d.Out.Success("Watching query %s on %s...", name, pc.URL)
	err = pc.Subscribe(ctx, path, argsJSON, component, identity, func(u push.QueryUpdate) error {
		for _, l := range u.LogLines {
			var s string
			if json.Unmarshal(l, &s) == nil {
				d.Out.Message("[CONVEX Q(%s)] %s", path, s)
			}
		}
		if u.Error != "" {
			return ui.Errorf("Failed to run function %q:\n%s", name, strings.TrimSpace(u.Error))
		}
		d.printValue(u.Value)
		return nil
	})
	if ctx.Err() != nil {
		d.Out.Message("Closing connection to %s...", pc.URL)
		return nil
	}
	if err != nil {
		var ue *ui.Error
		if errors.As(err, &ue) {
			return ue
		}
		return ui.Wrap(err, "Watching %s failed", name)
	}
	return nil
}

// printValue prints a function result as the npm CLI does (nothing for
// null): decoded, then written back as JSON.stringify would, two-space
// indented, keys in JavaScript's order.
func (d *Deps) printValue(v json.RawMessage) {
	if len(v) == 0 || string(v) == "null" {
		return
	}
	if decoded, err := subscribe.Decode(v); err == nil {
		d.Out.Result("%s", subscribe.Encode(decoded, "  "))
		return
	}
	var buf bytes.Buffer
	if json.Indent(&buf, subscribe.RequoteJSON(v), "", "  ") != nil {
		buf.Reset()
		buf.Write(v)
	}
	d.Out.Result("%s", buf.String())
}

// reachTarget selects the command's deployment and makes a local one
// reachable for the command's duration; call stop when done.
func (d *Deps) reachTarget(c *cli.Context, command string) (deployments.Target, func(), error) {
	nop := func() {}
	t, err := d.SelectTarget(c, command)
	if err != nil {
		return t, nop, err
	}
	switch t.Kind {
	case deployments.KindLocal, deployments.KindAnonymous:
		if t.Name == "" {
			return t, nop, ui.Errorf("no local deployment is configured for this project").
				WithHint("Run `convex dev` first to create one.")
		}
		r, err := anonymous.EnsureRunning(c.Context, d.Cwd, deployments.GlobalDir(d.Env), t.Name)
		if err != nil {
			return t, nop, err
		}
		t.URL, t.AdminKey = r.URL, r.AdminKey
		d.Log.AddSecret(t.AdminKey)
		if r.Started {
			return t, func() { r.Close() }, nil
		}
		return t, nop, nil
	case deployments.KindChooseProject:
		return t, nop, ui.Errorf("no deployment is configured for this project").
			WithHint("Run `convex dev` to set one up, or pass --url and --admin-key.")
	}
	if t.URL == "" {
		return t, nop, ui.Errorf("no deployment URL for %s", t.Describe())
	}
	return t, nop, nil
}

// runFunction calls name with argsText (relaxed JSON) and prints the result
// on stdout (when printResult) and its log lines on stderr.
func (d *Deps) runFunction(ctx context.Context, pc *push.Client, name, argsText, identityText, component string, printResult bool) error {
	path, argsJSON, identity, err := d.parseRunCall(name, argsText, identityText)
	if err != nil {
		return err
	}
	res, err := pc.RunFunction(ctx, path, argsJSON, component, identity)
	if res != nil {
		for _, l := range res.LogLines {
			var s string
			if json.Unmarshal(l, &s) != nil {
				var sl struct {
					Messages []string `json:"messages"`
					Level    string   `json:"level"`
				}
				json.Unmarshal(l, &sl)
				s = "[" + sl.Level + "] " + strings.Join(sl.Messages, " ")
			}
			d.Out.Message("[CONVEX ?(%s)] %s", path, s)
		}
	}
	if err != nil {
		var fe *push.FunctionError
		if errors.As(err, &fe) {
			msg := fmt.Sprintf("Failed to run function %q:\n%s", name, strings.TrimSpace(fe.Message))
			if strings.Contains(fe.Message, "Could not find function") {
				msg += "\n\n" + d.availableFunctions(ctx, pc, component)
			}
			return ui.Errorf("%s", msg)
		}
		var ae *push.APIError
		if errors.As(err, &ae) {
			return ui.Errorf("Failed to run function %q:\n%s", name, strings.TrimSpace(ae.Error()))
		}
		// Wrap adds no hint of its own; carry the cause's advice (such as
		// "start the deployment first") up to where it is printed.
		return ui.Wrap(err, "Failed to run function %q", name).WithHint("%s", ui.HintOf(err))
	}
	if printResult {
		d.printValue(res.Value)
	}
	return nil
}

// availableFunctions lists the functions `run` can call on the deployment
// (as the npm CLI does when a name is not found), or says why it cannot.
func (d *Deps) availableFunctions(ctx context.Context, pc *push.Client, component string) string {
	t := deployments.Target{URL: pc.URL, AdminKey: pc.AdminKey}
	sc, err := d.openSync(ctx, t, nil)
	if err != nil {
		return "Could not list the deployment's functions."
	}
	defer sc.Close()
	raw, err := d.systemQuery(ctx, sc, t, "_system/cli/modules:apiSpec", nil, component)
	var spec []struct {
		FunctionType string `json:"functionType"`
		Identifier   string `json:"identifier"`
	}
	if err != nil || json.Unmarshal(raw, &spec) != nil {
		return "Could not list the deployment's functions."
	}
	var lines []string
	for _, f := range spec {
		if f.FunctionType == "HttpAction" {
			continue
		}
		module, export, ok := strings.Cut(f.Identifier, ":")
		if !ok {
			module, export = "", f.Identifier
		}
		module = strings.TrimSuffix(module, ".js")
		lines = append(lines, "• "+d.Out.Paint(module+":", ui.Gray)+export)
	}
	if len(lines) == 0 {
		return "No functions found."
	}
	return "Available functions:\n" + strings.Join(lines, "\n")
}

var functionExtensions = []string{".ts", ".js", ".tsx", ".jsx", ".mts", ".mjs", ".cts", ".cjs"}

// parseFunctionName turns what the user typed into "<module>:<export>":
// api.a.b → a:b, file extensions dropped, default export "default", and a
// leading functions directory ("convex/") dropped unless such a nested
// directory exists.
func parseFunctionName(name, fnDir, projectDir string) (string, error) {
	if strings.HasPrefix(name, "api.") || strings.HasPrefix(name, "internal.") {
		parts := strings.Split(name, ".")
		if len(parts) < 3 {
			return "", ui.Errorf("Function name has too few parts: %q", name)
		}
		return strings.Join(parts[1:len(parts)-1], "/") + ":" + parts[len(parts)-1], nil
	}
	file, export, ok := strings.Cut(name, ":")
	if !ok {
		export = "default"
	}
	normalized := file
	hasExt := false
	for _, e := range functionExtensions {
		if strings.HasSuffix(file, e) {
			normalized, hasExt = strings.TrimSuffix(file, e), true
			break
		}
	}
	full := normalized + ":" + export
	if !strings.HasPrefix(file, fnDir) {
		return full, nil
	}
	stripped := strings.TrimPrefix(normalized, fnDir) + ":" + export
	exists := func(p string) bool {
		_, err := os.Stat(filepath.Join(projectDir, fnDir, p))
		return err == nil
	}
	if hasExt {
		if exists(file) {
			return full, nil
		}
		return stripped, nil
	}
	for _, e := range functionExtensions {
		if exists(file + e) {
			return full, nil
		}
	}
	return stripped, nil
}

// fakeIdentity fills in the identity fields a test user needs: subject (a
// hash of the JSON), issuer and tokenIdentifier, keeping what was given.
func fakeIdentity(text string) (json.RawMessage, error) {
	raw, err := relaxedJSON(text)
	if err != nil {
		return nil, ui.Errorf("Failed to parse identity as JSON: %q\n%v", text, err)
	}
	var fields orderedObject
	if err := json.Unmarshal(raw, &fields); err != nil {
		return nil, ui.Errorf("Failed to parse identity as JSON: %q\nthe identity must be an object", text)
	}
	get := func(k string) (string, bool) {
		for _, f := range fields {
			if f.key == k {
				var s string
				if json.Unmarshal(f.value, &s) == nil {
					return s, true
				}
				return string(f.value), true
			}
		}
		return "", false
	}
	compact := new(bytes.Buffer)
	json.Compact(compact, raw)
	subject, ok := get("subject")
	if !ok {
		subject = strconv.Itoa(int(javaHash(compact.String())))
	}
	issuer, ok := get("issuer")
	if !ok {
		issuer = "https://convex.test"
	}
	token, ok := get("tokenIdentifier")
	if !ok {
		token = issuer + "|" + subject
	}
	set := func(k, v string) {
		q, _ := json.Marshal(v)
		for i, f := range fields {
			if f.key == k {
				fields[i].value = q
				return
			}
		}
		fields = append(fields, field{k, q})
	}
	set("subject", subject)
	set("issuer", issuer)
	set("tokenIdentifier", token)
	return fields.marshal(), nil
}

// javaHash is the 32-bit string hash (h = 31h + c over UTF-16 units).
func javaHash(s string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(s)) {
		h = 31*h + int32(u)
	}
	return h
}

type field struct {
	key   string
	value json.RawMessage
}

// orderedObject is a JSON object that keeps its key order.
type orderedObject []field

func (o *orderedObject) UnmarshalJSON(b []byte) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	tok, err := dec.Token()
	if err != nil || tok != json.Delim('{') {
		return fmt.Errorf("not an object")
	}
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return err
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return err
		}
		*o = append(*o, field{kt.(string), v})
	}
	return nil
}

func (o orderedObject) marshal() json.RawMessage {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, f := range o {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(f.key)
		b.Write(k)
		b.WriteByte(':')
		b.Write(f.value)
	}
	b.WriteByte('}')
	return b.Bytes()
}

// relaxedJSON converts JSON5-style text (unquoted keys, single quotes,
// comments, trailing commas, +numbers) to standard JSON.
func relaxedJSON(s string) (json.RawMessage, error) {
	p := &json5{s: s}
	var out bytes.Buffer
	p.space()
	if err := p.value(&out); err != nil {
		return nil, err
	}
	p.space()
	if p.i < len(p.s) {
		return nil, p.errorf("unexpected %q after the value", p.s[p.i])
	}
	return out.Bytes(), nil
}

type json5 struct {
	s string
	i int
}

func (p *json5) errorf(format string, args ...any) error {
	return fmt.Errorf("JSON5: "+format+" at position %d", append(args, p.i+1)...)
}

// hexDigits reads the n hex digits of an escape (\x: 2, \u: 4) that start at
// the current position.
func (p *json5) hexDigits(n int, escape string) (uint64, error) {
	if p.i+n > len(p.s) {
		return 0, p.errorf("bad %s escape", escape)
	}
	v, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 4*n)
	if err != nil {
		return 0, p.errorf("bad %s escape", escape)
	}
	p.i += n
	return v, nil
}

func (p *json5) space() {
	for p.i < len(p.s) {
		switch {
		case strings.ContainsRune(" \t\r\n\u00a0\ufeff", rune(p.s[p.i])):
			p.i++
		case strings.HasPrefix(p.s[p.i:], "//"):
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		case strings.HasPrefix(p.s[p.i:], "/*"):
			e := strings.Index(p.s[p.i+2:], "*/")
			if e < 0 {
				p.i = len(p.s)
				return
			}
			p.i += e + 4
		default:
			return
		}
	}
}

func (p *json5) value(out *bytes.Buffer) error {
	if p.i >= len(p.s) {
		return p.errorf("unexpected end of input")
	}
	switch ch := p.s[p.i]; {
	case ch == '{':
		return p.object(out)
	case ch == '[':
		return p.array(out)
	case ch == '"' || ch == '\'':
		str, err := p.str()
		if err != nil {
			return err
		}
		q, _ := json.Marshal(str)
		out.Write(q)
		return nil
	case ch == '-' || ch == '+' || ch == '.' || (ch >= '0' && ch <= '9') || ch == 'I' || ch == 'N':
		start := p.i
		if ch == '+' || ch == '-' {
			p.i++
		}
		// JSON5's Infinity and NaN, and numbers too large for a float64,
		// are sent the way the Convex client sends non-finite numbers.
		for _, word := range []string{"Infinity", "NaN"} {
			if strings.HasPrefix(p.s[p.i:], word) {
				p.i += len(word)
				f := math.Inf(1)
				if word == "NaN" {
					f = math.Float64frombits(0x7ff8000000000000) // JavaScript's NaN
				} else if ch == '-' {
					f = math.Inf(-1)
				}
				writeFloatMarker(out, f)
				return nil
			}
		}
		for p.i < len(p.s) && strings.ContainsRune("0123456789.eE+-xXabcdefABCDEF", rune(p.s[p.i])) {
			p.i++
		}
		text := strings.TrimPrefix(p.s[start:p.i], "+")
		f, err := strconv.ParseFloat(text, 64)
		if err != nil && !(errors.Is(err, strconv.ErrRange) && math.IsInf(f, 0)) {
			if n, err2 := strconv.ParseInt(text, 0, 64); err2 == nil {
				f, err = float64(n), nil
			} else {
				return p.errorf("invalid number %q", text)
			}
		}
		switch {
		case math.IsInf(f, 0):
			writeFloatMarker(out, f)
		case strings.ContainsAny(text, "xX") || strings.HasPrefix(text, ".") || strings.HasPrefix(text, "-.") || strings.HasSuffix(text, "."):
			out.WriteString(strconv.FormatFloat(f, 'g', -1, 64))
		default:
			out.WriteString(text)
		}
		return nil
	default:
		for _, lit := range []string{"true", "false", "null"} {
			if strings.HasPrefix(p.s[p.i:], lit) {
				p.i += len(lit)
				out.WriteString(lit)
				return nil
			}
		}
		return p.errorf("unexpected %q", ch)
	}
}

// writeFloatMarker writes f as Convex's {"$float": base64 of its
// little-endian bits}, the JSON form of numbers JSON cannot hold.
func writeFloatMarker(out *bytes.Buffer, f float64) {
	var bits [8]byte
	binary.LittleEndian.PutUint64(bits[:], math.Float64bits(f))
	fmt.Fprintf(out, `{"$float":%q}`, base64.StdEncoding.EncodeToString(bits[:]))
}

func (p *json5) object(out *bytes.Buffer) error {
	return p.sequence(out, '{', '}', "object", func() error {
		var key string
		if c := p.s[p.i]; c == '"' || c == '\'' {
			k, err := p.str()
			if err != nil {
				return err
			}
			key = k
		} else {
			start := p.i
			for p.i < len(p.s) && (isIdent(p.s[p.i]) || p.s[p.i] >= 0x80) {
				p.i++
			}
			if start == p.i {
				return p.errorf("expected a property name, got %q", p.s[p.i])
			}
			key = p.s[start:p.i]
		}
		q, _ := json.Marshal(key)
		out.Write(q)
		p.space()
		if p.i >= len(p.s) || p.s[p.i] != ':' {
			return p.errorf("expected ':' after property %q", key)
		}
		p.i++
		out.WriteByte(':')
		p.space()
		return p.value(out)
	})
}

func (p *json5) array(out *bytes.Buffer) error {
	return p.sequence(out, '[', ']', "array", func() error { return p.value(out) })
}

// sequence reads a bracketed, comma-separated list whose items item reads
// (a trailing comma allowed, as in JavaScript) and writes it as JSON.
func (p *json5) sequence(out *bytes.Buffer, open, close byte, what string, item func() error) error {
	p.i++
	out.WriteByte(open)
	first := true
	for {
		p.space()
		if p.i >= len(p.s) {
			return p.errorf("unterminated %s", what)
		}
		if p.s[p.i] == close {
			p.i++
			out.WriteByte(close)
			return nil
		}
		if !first {
			out.WriteByte(',')
		}
		first = false
		if err := item(); err != nil {
			return err
		}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
			continue
		}
		if p.i < len(p.s) && p.s[p.i] == close {
			continue
		}
		return p.errorf("expected ',' or '%c'", close)
	}
}

func isIdent(c byte) bool {
	return c == '_' || c == '$' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// str reads a single- or double-quoted string with JSON/JS escapes.
func (p *json5) str() (string, error) {
	q := p.s[p.i]
	p.i++
	var b strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == q:
			p.i++
			return b.String(), nil
		case c == '\\':
			p.i++
			if p.i >= len(p.s) {
				return "", p.errorf("unterminated string")
			}
			e := p.s[p.i]
			p.i++
			switch e {
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			case 'r':
				b.WriteByte('\r')
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case '0':
				b.WriteByte(0)
			case 'v':
				b.WriteByte('\v')
			case '\n':
			case '\r': // a line continuation, \r\n included
				if p.i < len(p.s) && p.s[p.i] == '\n' {
					p.i++
				}
			case 'x':
				n, err := p.hexDigits(2, "\\x")
				if err != nil {
					return "", err
				}
				b.WriteRune(rune(n))
			case 'u':
				n, err := p.hexDigits(4, "\\u")
				if err != nil {
					return "", err
				}
				r := rune(n)
				if utf16.IsSurrogate(r) && strings.HasPrefix(p.s[p.i:], "\\u") && p.i+6 <= len(p.s) {
					if n2, err := strconv.ParseUint(p.s[p.i+2:p.i+6], 16, 16); err == nil {
						r = utf16.DecodeRune(r, rune(n2))
						p.i += 6
					}
				}
				b.WriteRune(r)
			default:
				b.WriteByte(e)
			}
		case c == '\n':
			return "", p.errorf("unterminated string")
		default:
			b.WriteByte(c)
			p.i++
		}
	}
	return "", p.errorf("unterminated string")
}

// parseRunCall turns `run`'s function name, relaxed-JSON arguments and
// --identity into the function path, the arguments object and the identity
// to run it as.
func (d *Deps) parseRunCall(name, argsText, identityText string) (path string, argsJSON, identity json.RawMessage, err error) {
	argsJSON, err = relaxedJSON(argsText)
	if err != nil {
		return "", nil, nil, ui.Errorf("Failed to parse arguments as JSON: %q\n%v", argsText, err)
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(argsJSON, &obj) != nil || obj == nil {
		return "", nil, nil, ui.Errorf("Failed to parse arguments as JSON: %q\nthe arguments must be an object", argsText)
	}
	if identityText != "" {
		if identity, err = fakeIdentity(identityText); err != nil {
			return "", nil, nil, err
		}
	}
	fnDir := "convex/"
	if cfg, err := push.LoadProjectConfig(d.Cwd, nil); err == nil {
		fnDir = cfg.Functions
	}
	path, err = parseFunctionName(name, fnDir, d.Cwd)
	if err != nil {
		return "", nil, nil, err
	}
	return path, argsJSON, identity, nil
}
