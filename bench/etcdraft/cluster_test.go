package etcdraftbench

import (
	"fmt"
	"testing"
)

// warmupOps are run before measuring, as bench/raft does.
const warmupOps = 4096

// benchProposeCommitApply: one op = one 128-byte proposal on the leader,
// carried until every voter has applied it. With fresh, each op first copies
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
			for i := 0; i < b.N; i++ {
				data := payload
				if fresh {
					data = append([]byte(nil), payload...)
				}
				if err := c.ProposeAndApply(data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkProposeCommitApply(b *testing.B) {
	benchProposeCommitApply(b, false)
}

func BenchmarkProposeCommitApplyFresh(b *testing.B) {
	benchProposeCommitApply(b, true)
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
