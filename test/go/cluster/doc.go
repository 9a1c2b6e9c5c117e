// Package cluster holds real-process integration tests of a memgrid
// cluster (member-to-member protocol, backups, failover, migration),
// driven by the official Go client, hazelcast-go-client v1.4.2.
//
// Each test starts its own cluster with harness.StartCluster (members on
// fixed 127.0.0.1 ports chosen by the test, tcp-ip join, 1 s heartbeats,
// 2 s no-heartbeat limit, map.default backup-count 1), drives it with
// clients, crashes (SIGKILL), stops (SIGTERM), pauses (SIGSTOP) and
// restarts members, and checks that no acknowledged write is lost:
//
//	TestClusterForms                  3 members, one member list, round trip, spread
//	TestKillMemberLosesNoAckedWrite   SIGKILL a member under write load (3 runs)
//	TestJoinUnderLoad                 a 3rd member joins under load: no request fails
//	TestKillDuringMigration           50k entries, join, SIGKILL the oldest member
//	TestRollingRestart                SIGTERM + restart each member under load
//	TestPausedMemberRejoins           SIGSTOP 4 s, SIGCONT: rejoins as a new member
//	TestArticleOnThreeMembers         the article's programs and cache on 3 members
//	TestListener*                     a unisocket client's entry listener gets every member's events
//
// Run:
//
//	test/go/run.sh ./cluster/ -v                      # memgrid (build/memgrid)
//	test/go/run.sh ./cluster/ -run TestRollingRestart -v
//	MEMGRID_TARGET=hazelcast test/go/run.sh ./cluster/ -v   # real Hazelcast 5.7 members
//	test/go/run.sh ./cluster/ -tags hazelcastinternal -run TestClusterForms -v
//
// The last form also checks how partitions and keys spread over the members:
// the client exposes its partition table only under that build tag.
// A failed test prints every member's state and the tail of every member
// log (MEMGRID_KEEP_LOGS=1 keeps the configs and logs).
package cluster
