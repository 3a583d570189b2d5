package push

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestCodegenLocal(t *testing.T) {
	dir := chatProject(t)
	var stderr bytes.Buffer
	res, err := CodegenLocal(context.Background(), Options{Dir: dir, Stderr: &stderr}, false, false)
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	if res.Bundle == nil {
		t.Fatal("no bundle")
	}
	api, err := os.ReadFile(filepath.Join(dir, "convex", "_generated", "api.d.ts"))
	if err != nil || !strings.Contains(string(api), `messages: typeof messages;`) {
		t.Errorf("api.d.ts: %v\n%s", err, api)
	}
	a, err := AnalyzeLocally(context.Background(), res.Bundle, dir)
	if err != nil {
		t.Fatal(err)
	}
	m, ok := a.Functions["messages.js"]
	if !ok || len(m.Functions) == 0 {
		t.Fatalf("no functions analysed in messages.js: %+v", a.Functions)
	}

	// A module failing at import time is reported when the analysis is
	// needed (static api), and ignored otherwise.
	os.WriteFile(filepath.Join(dir, "convex", "boom.ts"), []byte("export const x = 1;\nthrow new Error(\"boom at load\");\n"), 0o644)
	if _, err = CodegenLocal(context.Background(), Options{Dir: dir}, false, false); err != nil {
		t.Errorf("without static codegen: %v", err)
	}
	os.WriteFile(filepath.Join(dir, "convex.json"), []byte(`{"codegen":{"staticApi":true}}`), 0o644)
	_, err = CodegenLocal(context.Background(), Options{Dir: dir}, false, false)
	if err == nil || !strings.Contains(err.Error(), "boom at load") || KindOf(err) != InvalidFiles {
		t.Errorf("err = %v", err)
	}
}

func TestStaticAPITypeChecks(t *testing.T) {
	dir := chatProject(t)
	os.WriteFile(filepath.Join(dir, "convex.json"), []byte(`{"codegen":{"staticApi":true,"staticDataModel":true}}`), 0o644)
	os.WriteFile(filepath.Join(dir, "convex", "uses_api.ts"), []byte(`import { api, internal } from "./_generated/api";
import type { FunctionReference } from "convex/server";
import type { GenericId } from "convex/values";

const list: FunctionReference<"query", "public"> = api.messages.list;
export const refs = [list, internal];
export function channelId(x: GenericId<"channels">) { return x; }
`), 0o644)
	os.WriteFile(filepath.Join(dir, "convex", "uses_model.ts"), []byte(`import type { Doc, Id, DataModel } from "./_generated/dataModel";

export function describe(m: Doc<"messages">): string {
  const c: Id<"channels"> = m.channelId;
  const kind: "user" | "bot" = m.kind;
  const edited: number | undefined = m.editedAt;
  return c + kind + String(edited) + String(m._creationTime);
}
type Idx = DataModel["messages"]["indexes"]["by_channel_author"];
export const idx: Idx = ["channelId", "author", "_creationTime"] as unknown as Idx;
`), 0o644)
	if _, err := CodegenLocal(context.Background(), Options{Dir: dir}, false, false); err != nil {
		t.Fatal(err)
	}
	api, _ := os.ReadFile(filepath.Join(dir, "convex", "_generated", "api.d.ts"))
	if !strings.Contains(string(api), `FunctionReference<"query", "public", { channelId: Id<"channels">`) {
		t.Errorf("static api.d.ts lacks typed references:\n%s", api)
	}
	model, _ := os.ReadFile(filepath.Join(dir, "convex", "_generated", "dataModel.d.ts"))
	if !strings.Contains(string(model), `by_channel_author: ["channelId","author"];`) && !strings.Contains(string(model), `"by_channel_author": ["channelId","author"];`) {
		t.Errorf("static dataModel.d.ts lacks the index:\n%s", model)
	}
	tc := &Typechecker{Mode: TypecheckEnable, ProjectDir: dir}
	var out bytes.Buffer
	tc.Stderr = &out
	if err := tc.Check(context.Background(), filepath.Join(dir, "convex")); err != nil {
		t.Fatalf("tsc on the static api: %v\n%s\n%s", err, out.String(), api)
	}
}
