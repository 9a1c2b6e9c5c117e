// Package diff runs one client scenario (diff/scenario) against a Hazelcast
// 5.7 member and against memgrid and compares the transcripts.
package diff

import "memgrid.test/go/harness"

// Options is the member configuration the scenario expects.
func Options() harness.Options {
	return harness.Options{Maps: []harness.MapConfig{
		{Name: "diff-stats", PerEntryStatsEnabled: true},
		{Name: "diff-ttl", TTLSeconds: 30},
		{Name: "diff-idle", MaxIdleSeconds: 20},
		{Name: "diff-both", TTLSeconds: 60, MaxIdleSeconds: 20},
	}}
}
