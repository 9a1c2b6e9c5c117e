package harness

import (
	"fmt"
	"sort"
	"strings"
)

// DefaultClusterName is used when Options.ClusterName is empty.
const DefaultClusterName = "memgrid-test"

// Eviction is the `eviction:` block of a map config.
type Eviction struct {
	Policy        string // LRU, LFU, RANDOM, NONE
	MaxSizePolicy string // PER_NODE, PER_PARTITION, ...
	Size          int
}

// MapConfig is one entry under `map:` in hazelcast.yaml. Name may be
// "default". Zero values are left out of the file (member defaults apply).
type MapConfig struct {
	Name                  string
	TTLSeconds            int
	MaxIdleSeconds        int
	Eviction              *Eviction
	PerEntryStatsEnabled  bool
	BackupCount           *int
	AsyncBackupCount      *int
	StatisticsEnabledOff  bool // writes statistics-enabled: false when set
	InMemoryFormat        string
	ReadBackupDataEnabled bool
}

// Options describes the member a test wants.
type Options struct {
	// ClusterName defaults to DefaultClusterName.
	ClusterName string
	// Maps are written under `map:`.
	Maps []MapConfig
	// Dedicated forces a member of its own even where the harness would
	// share one (Hazelcast target).
	Dedicated bool
	// Properties are written under `properties:` (e.g.
	// "memgrid.memory.max-size": "64m"), in name order.
	Properties map[string]string
}

func (o Options) clusterName() string {
	if o.ClusterName == "" {
		return DefaultClusterName
	}
	return o.ClusterName
}

// fingerprint identifies options that can share one member: the rendered
// configuration with map entries in name order.
func (o Options) fingerprint() string {
	sorted := o
	sorted.Maps = append([]MapConfig(nil), o.Maps...)
	sort.Slice(sorted.Maps, func(i, j int) bool { return sorted.Maps[i].Name < sorted.Maps[j].Name })
	return renderYAML(TargetHazelcast, sorted, 0)
}

// yamlString quotes s for YAML (double-quoted style).
func yamlString(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}

// renderYAML writes the member configuration. port is only used for the
// Hazelcast target; memgrid gets its port from the command line.
func renderYAML(target Target, o Options, port int) string {
	var b strings.Builder
	w := func(indent int, format string, args ...interface{}) {
		b.WriteString(strings.Repeat("  ", indent))
		fmt.Fprintf(&b, format, args...)
		b.WriteByte('\n')
	}
	w(0, "hazelcast:")
	w(1, "cluster-name: %s", yamlString(o.clusterName()))
	props := make([]string, 0, len(o.Properties))
	for k := range o.Properties {
		props = append(props, k)
	}
	sort.Strings(props)
	if target == TargetHazelcast || len(props) > 0 {
		w(1, "properties:")
	}
	if target == TargetHazelcast {
		w(2, "hazelcast.phone.home.enabled: false")
		w(2, "hazelcast.local.localAddress: 127.0.0.1")
		w(2, "hazelcast.socket.bind.any: false")
	}
	for _, k := range props {
		w(2, "%s: %s", yamlString(k), yamlString(o.Properties[k]))
	}
	if target == TargetHazelcast {
		w(1, "jet:")
		w(2, "enabled: false")
	}
	w(1, "network:")
	if target == TargetHazelcast {
		w(2, "port:")
		w(3, "port: %d", port)
		w(3, "auto-increment: false")
		w(2, "interfaces:")
		w(3, "enabled: true")
		w(3, "interfaces:")
		w(4, "- 127.0.0.1")
	}
	w(2, "join:")
	if target == TargetHazelcast {
		w(3, "auto-detection:")
		w(4, "enabled: false")
	}
	w(3, "multicast:")
	w(4, "enabled: false")
	w(3, "tcp-ip:")
	w(4, "enabled: true")
	w(4, "member-list:")
	if target == TargetHazelcast {
		w(5, "- 127.0.0.1:%d", port)
	} else {
		w(5, "- 127.0.0.1")
	}
	if len(o.Maps) > 0 {
		w(1, "map:")
		for _, m := range o.Maps {
			w(2, "%s:", yamlString(m.Name))
			if m.TTLSeconds != 0 {
				w(3, "time-to-live-seconds: %d", m.TTLSeconds)
			}
			if m.MaxIdleSeconds != 0 {
				w(3, "max-idle-seconds: %d", m.MaxIdleSeconds)
			}
			if m.BackupCount != nil {
				w(3, "backup-count: %d", *m.BackupCount)
			}
			if m.AsyncBackupCount != nil {
				w(3, "async-backup-count: %d", *m.AsyncBackupCount)
			}
			if m.PerEntryStatsEnabled {
				w(3, "per-entry-stats-enabled: true")
			}
			if m.StatisticsEnabledOff {
				w(3, "statistics-enabled: false")
			}
			if m.InMemoryFormat != "" {
				w(3, "in-memory-format: %s", m.InMemoryFormat)
			}
			if m.ReadBackupDataEnabled {
				w(3, "read-backup-data: true")
			}
			if e := m.Eviction; e != nil {
				w(3, "eviction:")
				if e.Policy != "" {
					w(4, "eviction-policy: %s", e.Policy)
				}
				if e.MaxSizePolicy != "" {
					w(4, "max-size-policy: %s", e.MaxSizePolicy)
				}
				if e.Size != 0 {
					w(4, "size: %d", e.Size)
				}
			}
		}
	}
	return b.String()
}
