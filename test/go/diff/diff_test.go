package diff

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"memgrid.test/go/harness"
)

func TestMain(m *testing.M) { harness.Main(m) }

var update = flag.Bool("update", false, "rewrite "+goldenPath+" from the run against Hazelcast (MEMGRID_TARGET=hazelcast)")

const goldenPath = "testdata/hazelcast-5.7.golden"

const scenarioLimit = 4 * time.Minute

// runScenario runs the scenario program against m and returns its
// transcript lines (a partial one if the program failed, with the error).
func runScenario(t *testing.T, m *harness.Member) ([]string, error) {
	t.Helper()
	bin := harness.BuildProgram(t, "memgrid.test/go/diff/scenario")
	stdout, stderr, err := harness.RunProgram(t, bin, m, scenarioLimit)
	if err != nil {
		err = fmt.Errorf("scenario against %s: %v\nstderr:\n%s", m.Target, err, stderr)
	}
	return splitLines(stdout), err
}

func splitLines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestTranscriptMatchesGolden runs the scenario against the target of
// MEMGRID_TARGET and compares it with the transcript recorded from
// Hazelcast 5.7 (regenerate with: MEMGRID_TARGET=hazelcast go test ./diff -run Golden -update).
func TestTranscriptMatchesGolden(t *testing.T) {
	target := harness.TargetFromEnv()
	m := harness.Start(t, Options())
	got, runErr := runScenario(t, m)
	if *update {
		if target != harness.TargetHazelcast {
			t.Fatal("-update records Hazelcast's behaviour: run it with MEMGRID_TARGET=hazelcast")
		}
		if runErr != nil {
			t.Fatal(runErr)
		}
		if err := os.MkdirAll(filepath.Dir(goldenPath), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(goldenPath, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d lines)", goldenPath, len(got))
		return
	}
	data, err := os.ReadFile(goldenPath)
	if err != nil {
		t.Fatalf("reading %s: %v", goldenPath, err)
	}
	want := splitLines(string(data))
	if d := diffLines(want, got); d != "" {
		t.Errorf("transcript from %s differs from Hazelcast 5.7's (%s); - Hazelcast, + %s:\n%s", target, goldenPath, target, d)
	}
	if runErr != nil {
		t.Error(runErr)
	}
}

// TestDiffHazelcastVsMemgrid runs the scenario against a live Hazelcast 5.7
// member and a memgrid member side by side and diffs the transcripts.
func TestDiffHazelcastVsMemgrid(t *testing.T) {
	for _, target := range []harness.Target{harness.TargetHazelcast, harness.TargetMemgrid} {
		if ok, why := harness.Available(target); !ok {
			t.Skipf("needs both members: %s", why)
		}
	}
	hz := harness.StartTarget(t, harness.TargetHazelcast, Options())
	mg := harness.StartTarget(t, harness.TargetMemgrid, Options())
	var wg sync.WaitGroup
	var hzOut, mgOut []string
	var hzErr, mgErr error
	wg.Add(2)
	go func() { defer wg.Done(); hzOut, hzErr = runScenario(t, hz) }()
	go func() { defer wg.Done(); mgOut, mgErr = runScenario(t, mg) }()
	wg.Wait()
	if hzErr != nil {
		t.Fatalf("the scenario fails against Hazelcast itself: %v", hzErr)
	}
	if d := diffLines(hzOut, mgOut); d != "" {
		t.Errorf("memgrid differs from Hazelcast 5.7; - Hazelcast, + memgrid:\n%s", d)
	}
	if mgErr != nil {
		t.Error(mgErr)
	}
}

// diffLines returns a unified-style diff of a and b (empty when equal),
// with two lines of context around each change.
func diffLines(a, b []string) string {
	n, m := len(a), len(b)
	// lcs[i][j] = length of the longest common subsequence of a[i:], b[j:].
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else if lcs[i+1][j] >= lcs[i][j+1] {
				lcs[i][j] = lcs[i+1][j]
			} else {
				lcs[i][j] = lcs[i][j+1]
			}
		}
	}
	type op struct {
		kind byte
		text string
	}
	var ops []op
	i, j := 0, 0
	for i < n || j < m {
		switch {
		case i < n && j < m && a[i] == b[j]:
			ops = append(ops, op{' ', a[i]})
			i++
			j++
		case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
			ops = append(ops, op{'-', a[i]})
			i++
		default:
			ops = append(ops, op{'+', b[j]})
			j++
		}
	}
	// Within each run of changes, pair removed and added lines (-a1 +b1
	// -a2 +b2 ...): transcripts are line-for-line, so this reads best.
	for k := 0; k < len(ops); {
		if ops[k].kind == ' ' {
			k++
			continue
		}
		end := k
		var dels, adds []op
		for end < len(ops) && ops[end].kind != ' ' {
			if ops[end].kind == '-' {
				dels = append(dels, ops[end])
			} else {
				adds = append(adds, ops[end])
			}
			end++
		}
		pos := k
		for x := 0; x < len(dels) || x < len(adds); x++ {
			if x < len(dels) {
				ops[pos] = dels[x]
				pos++
			}
			if x < len(adds) {
				ops[pos] = adds[x]
				pos++
			}
		}
		k = end
	}
	const ctxLines = 2
	show := make([]bool, len(ops))
	changed := false
	for k, o := range ops {
		if o.kind != ' ' {
			changed = true
			for d := -ctxLines; d <= ctxLines; d++ {
				if k+d >= 0 && k+d < len(ops) {
					show[k+d] = true
				}
			}
		}
	}
	if !changed {
		return ""
	}
	var sb strings.Builder
	gap := false
	for k, o := range ops {
		if !show[k] {
			gap = true
			continue
		}
		if gap {
			sb.WriteString("  ...\n")
			gap = false
		}
		sb.WriteByte(o.kind)
		sb.WriteByte(' ')
		sb.WriteString(o.text)
		sb.WriteByte('\n')
	}
	return sb.String()
}

func TestDiffLines(t *testing.T) {
	if d := diffLines([]string{"a", "b"}, []string{"a", "b"}); d != "" {
		t.Fatalf("equal inputs gave a diff:\n%s", d)
	}
	d := diffLines([]string{"a", "b", "c"}, []string{"a", "x", "c", "d"})
	want := "  a\n- b\n+ x\n  c\n+ d\n"
	if d != want {
		t.Fatalf("diff =\n%s\nwant\n%s", d, want)
	}
	d = diffLines([]string{"s", "a1", "a2", "e"}, []string{"s", "b1", "b2", "e"})
	want = "  s\n- a1\n+ b1\n- a2\n+ b2\n  e\n"
	if d != want {
		t.Fatalf("diff =\n%s\nwant\n%s", d, want)
	}
}
