package format

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/image"
)

var now = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

func TestEllipsisAndTruncateID(t *testing.T) {
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"sleep 1000", 20, "sleep 1000"},
		{"sh -c 'echo hi; exit 3'", 20, "sh -c 'echo hi; exi…"},
		{"12345678901234567890", 20, "12345678901234567890"},
		{"ünïcödé-strïng-lönger", 5, "ünïc…"},
		{"ab", 1, "…"},
	}
	for _, tt := range tests {
		if got := Ellipsis(tt.in, tt.max); got != tt.want {
			t.Errorf("Ellipsis(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
	}
	if got := TruncateID("sha256:0befcb36aab3df0843286f69679efeeb6c9bf32ae732cc57b8c6539e9cdbe976"); got != "0befcb36aab3" {
		t.Errorf("TruncateID() = %q", got)
	}
}

func TestContainerRow(t *testing.T) {
	c := container.Summary{
		ID:      "49eb4c04afe5593c7be240a59d01aefabfbdb382649422abc60dc1b8511c9300",
		Names:   []string{"/web/db", "/fmt1"},
		Image:   "busybox",
		Command: "sh -c 'echo hi; exit 3'",
		Created: now.Add(-5 * time.Second).Unix(),
		State:   "exited",
		Status:  "Exited (3) 2 minutes ago",
		Labels:  map[string]string{"b": "2", "a": "1"},
		SizeRw:  0, SizeRootFs: 1984000,
	}
	r := ContainerRow{C: c, Trunc: true, Now: now}
	checks := map[string][2]string{
		"ID":         {r.ID(), "49eb4c04afe5"},
		"Names":      {r.Names(), "fmt1"},
		"Command":    {r.Command(), `"sh -c 'echo hi; exi…"`},
		"RunningFor": {r.RunningFor(), "5 seconds ago"},
		"Status":     {r.Status(), "Exited (3) 2 minutes ago"},
		"Labels":     {r.Labels(), "a=1,b=2"},
		"Size":       {r.Size(), "0B (virtual 1.98MB)"},
	}
	for k, v := range checks {
		if v[0] != v[1] {
			t.Errorf("%s() = %q, want %q", k, v[0], v[1])
		}
	}
	full := ContainerRow{C: c, Trunc: false, Now: now}
	if got := full.Names(); got != "web/db,fmt1" {
		t.Errorf("Names() no-trunc = %q", got)
	}
	if got := full.Command(); got != `"sh -c 'echo hi; exit 3'"` {
		t.Errorf("Command() no-trunc = %q", got)
	}
	created := ContainerRow{C: container.Summary{State: "created"}}
	if got := created.Status(); got != "Created" {
		t.Errorf("Status() for created = %q", got)
	}
	for d, want := range map[time.Duration]string{
		0:                "Less than a second ago",
		3 * time.Second:  "3 seconds ago",
		90 * time.Second: "About a minute ago",
		2 * time.Hour:    "2 hours ago",
	} {
		if got := Since(now, now.Add(-d)); got != want {
			t.Errorf("Since(-%v) = %q, want %q", d, got, want)
		}
	}
}

func TestWriteTable(t *testing.T) {
	rows := []any{
		ContainerRow{C: container.Summary{ID: strings.Repeat("a", 64), Names: []string{"/one"}, Image: "busybox", Command: "sleep 1000", Created: now.Add(-3 * time.Second).Unix(), Status: "Up 3 seconds"}, Trunc: true, Now: now},
		ContainerRow{C: container.Summary{ID: strings.Repeat("b", 64), Names: []string{"/two"}, Image: "busybox", Command: "true", Created: now.Add(-2 * time.Minute).Unix(), State: "created"}, Trunc: true, Now: now},
	}
	var buf bytes.Buffer
	if err := (Context{Output: &buf, Format: DefaultContainerTable}).Write(ContainerHeader, rows); err != nil {
		t.Fatal(err)
	}
	want := `CONTAINER ID   IMAGE     COMMAND        CREATED         STATUS         PORTS     NAMES
aaaaaaaaaaaa   busybox   "sleep 1000"   3 seconds ago   Up 3 seconds             one
bbbbbbbbbbbb   busybox   "true"         2 minutes ago   Created                  two
`
	if d := cmp.Diff(want, buf.String()); d != "" {
		t.Fatalf("table mismatch (-want +got):\n%s", d)
	}

	buf.Reset()
	if err := (Context{Output: &buf, Format: "table {{.Names}}\t{{.Label \"com.x.y-z\"}}"}).Write(ContainerHeader, rows[:0]); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != "NAMES     y z\n" {
		t.Fatalf("empty table = %q", got)
	}
}

func TestTemplates(t *testing.T) {
	tests := []struct {
		format, want string
	}{
		{`{{json .}}`, `{"a":"<x>","n":["p","q"]}`},
		{`{{upper .a}} {{lower "AB"}} {{title "ab cd"}}`, "<X> ab Ab Cd"},
		{`{{join .n ","}} {{split "a:b" ":"}}`, "p,q [a b]"},
		{`{{truncate "abcdef" 3}}|{{pad "x" 1 2}}|{{pad "" 1 1}}`, "abc| x  |"},
		{`{{println "l"}}`, "l\n"},
	}
	for _, tt := range tests {
		tmpl, err := Parse(tt.format)
		if err != nil {
			t.Fatalf("Parse(%q) = %v", tt.format, err)
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, map[string]any{"a": "<x>", "n": []string{"p", "q"}}); err != nil {
			t.Fatalf("Execute(%q) = %v", tt.format, err)
		}
		if buf.String() != tt.want {
			t.Errorf("Execute(%q) = %q, want %q", tt.format, buf.String(), tt.want)
		}
	}
	var buf bytes.Buffer
	err := (Context{Output: &buf, Format: "{{.Foo"}).Write(nil, nil)
	if err == nil || !strings.HasPrefix(err.Error(), "template parsing error: ") {
		t.Fatalf("Write(bad template) = %v", err)
	}
}

func TestImageRows(t *testing.T) {
	imgs := []image.Summary{
		{ID: "sha256:" + strings.Repeat("1", 64), RepoTags: []string{"busybox:latest", "busybox:t2", "example.com/x/y:1"}, RepoDigests: []string{"busybox@sha256:" + strings.Repeat("d", 64)}, Size: 1984000, Created: now.Add(-time.Hour).Unix()},
		{ID: "sha256:" + strings.Repeat("2", 64), Size: 10},
	}
	rows := ImageRows(imgs, true, false, now)
	var got [][4]string
	for _, r := range rows {
		got = append(got, [4]string{r.Repository(), r.Tag(), r.ID(), r.Size()})
	}
	want := [][4]string{
		{"busybox", "latest", "111111111111", "1.98MB"},
		{"busybox", "t2", "111111111111", "1.98MB"},
		{"example.com/x/y", "1", "111111111111", "1.98MB"},
		{"<none>", "<none>", "222222222222", "10B"},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("ImageRows() mismatch (-want +got):\n%s", d)
	}
	dig := ImageRows(imgs[:1], true, true, now)
	if dig[0].Digest() != "sha256:"+strings.Repeat("d", 64) || dig[2].Digest() != "<none>" {
		t.Fatalf("ImageRows(digests) = %v / %v", dig[0].Digest(), dig[2].Digest())
	}
	if got := rows[0].CreatedSince(); got != "About an hour ago" {
		t.Fatalf("CreatedSince() = %q", got)
	}
}

func TestInspector(t *testing.T) {
	var buf bytes.Buffer
	ins, err := NewInspector(&buf, "")
	if err != nil {
		t.Fatal(err)
	}
	if err := ins.Inspect(nil, []byte(`{"Id":"x","State":{"Running":true}}`)); err != nil {
		t.Fatal(err)
	}
	if err := ins.Flush(); err != nil {
		t.Fatal(err)
	}
	want := "[\n    {\n        \"Id\": \"x\",\n        \"State\": {\n            \"Running\": true\n        }\n    }\n]\n"
	if buf.String() != want {
		t.Fatalf("inspect output = %q, want %q", buf.String(), want)
	}

	buf.Reset()
	ins, _ = NewInspector(&buf, "")
	_ = ins.Flush()
	if buf.String() != "[]\n" {
		t.Fatalf("empty inspect = %q", buf.String())
	}

	buf.Reset()
	type typed struct{ ID string }
	ins, _ = NewInspector(&buf, "{{.ID}} {{.Extra}}")
	// .Extra is not in the typed value: falls back to the raw JSON.
	if err := ins.Inspect(typed{ID: "t"}, []byte(`{"ID":"r","Extra":"e"}`)); err != nil {
		t.Fatal(err)
	}
	_ = ins.Flush()
	if buf.String() != "r e\n" {
		t.Fatalf("template inspect = %q", buf.String())
	}
	if _, err := NewInspector(&buf, "{{.X"); err == nil {
		t.Fatalf("NewInspector(bad) = nil, want error")
	}
}

// Templates over the raw JSON (fields named as in the JSON, not as in
// moby's Go types) print numbers as the daemon sent them, as docker does.
func TestInspectorRawNumbersStayIntegers(t *testing.T) {
	type typed struct{ ID string }
	raw := []byte(`{"HostConfig":{"NanoCpus":500000000,"Memory":8589934592,"CpuShares":0},"Size":1.5,"Big":18446744073709551615}`)
	for _, tt := range []struct{ format, want string }{
		{"{{.HostConfig.NanoCpus}}", "500000000"},
		{"{{.HostConfig.Memory}}", "8589934592"},
		{"{{.HostConfig.CpuShares}}", "0"},
		{"{{.Size}}", "1.5"},
		{"{{.Big}}", "18446744073709551615"},
		{"{{json .HostConfig}}", `{"CpuShares":0,"Memory":8589934592,"NanoCpus":500000000}`},
	} {
		var buf bytes.Buffer
		ins, err := NewInspector(&buf, tt.format)
		if err != nil {
			t.Fatal(err)
		}
		if err := ins.Inspect(typed{ID: "t"}, raw); err != nil {
			t.Errorf("%s: %v", tt.format, err)
			continue
		}
		_ = ins.Flush()
		if got := strings.TrimSuffix(buf.String(), "\n"); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.format, got, tt.want)
		}
	}
}
