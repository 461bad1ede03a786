package etcdraftbench

import (
	"fmt"
	"syscall"
	"testing"
)

// cpuNanos is the CPU time (user + system) the whole process has used: the
// benchmark goroutine and the runtime's GC workers alike.
func cpuNanos(b *testing.B) int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

// warmupOps are run before measuring, as bench/raft does.
const warmupOps = 4096

// benchProposeCommitApply: one op = one 128-byte proposal on the leader,
// carried until every voter has applied it. Reports, besides ns/op (wall
// clock), cpu-ns/op: process CPU time per op, which a loaded machine
// disturbs less. With fresh, each op first copies
// the payload into a new buffer (as a server encoding a request would);
// otherwise the same buffer is proposed every time.
func benchProposeCommitApply(b *testing.B, fresh bool) {
	for _, voters := range []int{1, 3} {
		b.Run(fmt.Sprintf("voters=%d", voters), func(b *testing.B) {
			c, err := NewCluster(voters)
			if err != nil {
				b.Fatal(err)
			}
			payload := make([]byte, PayloadSize)
			for i := 0; i < warmupOps; i++ {
				if err := c.ProposeAndApply(payload); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuNanos(b)
			for i := 0; i < b.N; i++ {
				data := payload
				if fresh {
					data = append([]byte(nil), payload...)
				}
				if err := c.ProposeAndApply(data); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuNanos(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func BenchmarkProposeCommitApply(b *testing.B) {
	benchProposeCommitApply(b, false)
}

func BenchmarkProposeCommitApplyFresh(b *testing.B) {
	benchProposeCommitApply(b, true)
}

// BenchmarkReadIndex: linearizable reads through the leader of 3 voters
// (ReadOnlySafe), `pending` requests issued per heartbeat round. One op = one
// read, so ns/op is the time per read.
func BenchmarkReadIndex(b *testing.B) {
	for _, pending := range []int{1, 64} {
		b.Run(fmt.Sprintf("pending=%d", pending), func(b *testing.B) {
			c, err := NewCluster(3)
			if err != nil {
				b.Fatal(err)
			}
			for i := 0; i < warmupOps/pending; i++ {
				if err := c.ReadIndexRound(pending); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := cpuNanos(b)
			for done := 0; done < b.N; done += pending {
				if err := c.ReadIndexRound(pending); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			b.ReportMetric(float64(cpuNanos(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

func TestReadIndex(t *testing.T) {
	c, err := NewCluster(3)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []int{1, 64, 1, 7} {
		if err := c.ReadIndexRound(k); err != nil {
			t.Fatalf("%d pending: %v", k, err)
		}
	}
}

func TestProposeCommitApply(t *testing.T) {
	for _, voters := range []int{1, 3} {
		c, err := NewCluster(voters)
		if err != nil {
			t.Fatal(err)
		}
		payload := make([]byte, PayloadSize)
		for i := 0; i < 3000; i++ {
			if err := c.ProposeAndApply(payload); err != nil {
				t.Fatalf("voters=%d op %d: %v", voters, i, err)
			}
		}
		for _, m := range c.members {
			if m.appliedSum != 3000*PayloadSize {
				t.Fatalf("voters=%d node %d applied %d bytes", voters, m.id,
					m.appliedSum)
			}
		}
	}
}
