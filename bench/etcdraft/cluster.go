// Package etcdraftbench drives etcd/raft's RawNode (etcd 3.4, as packaged by
// Debian in golang-etcd-server-dev) through the same propose -> commit ->
// apply workload as Cairn's bench/raft/raft_bench.cc, so that the two can be
// compared side by side. The loop here must stay in step with the C++ one
// (docs/bench/raft.md describes the workload both follow).
package etcdraftbench

import (
	"encoding/binary"
	"fmt"
	"io"
	"log"

	"go.etcd.io/etcd/raft"
	pb "go.etcd.io/etcd/raft/raftpb"
)

// PayloadSize is the size of every proposal's data, in bytes.
const PayloadSize = 128

// compactEvery is how many applied entries a node accumulates before it
// compacts its MemoryStorage up to its applied index (both sides do the same,
// so that memory stays bounded whatever b.N is).
const compactEvery = 1024

// member is one RawNode with its storage and its apply state.
type member struct {
	id          uint64
	node        *raft.RawNode
	storage     *raft.MemoryStorage
	applied     uint64 // index of the last applied entry
	appliedSum  uint64 // sum of applied payload sizes: the "state machine"
	compactedTo uint64
	readStates  int // read states received so far
}

// Cluster is N RawNodes wired together in memory; node 1 is the leader.
type Cluster struct {
	members []*member
	inbox   []pb.Message // messages sent but not yet delivered
	spare   []pb.Message
	readCtx uint64 // last ReadIndex context used
}

// NewCluster builds a cluster of n voters, each bootstrapped from a storage
// snapshot at index 1 term 1 holding the voter set, and elects node 1.
func NewCluster(n int) (*Cluster, error) {
	logger := &raft.DefaultLogger{Logger: log.New(io.Discard, "", 0)}
	voters := make([]uint64, n)
	for i := range voters {
		voters[i] = uint64(i + 1)
	}
	c := &Cluster{}
	for _, id := range voters {
		s := raft.NewMemoryStorage()
		snap := pb.Snapshot{Metadata: pb.SnapshotMetadata{
			Index: 1, Term: 1, ConfState: pb.ConfState{Voters: voters}}}
		if err := s.ApplySnapshot(snap); err != nil {
			return nil, err
		}
		rn, err := raft.NewRawNode(&raft.Config{
			ID:              id,
			ElectionTick:    10,
			HeartbeatTick:   1,
			Storage:         s,
			MaxSizePerMsg:   1 << 20,
			MaxInflightMsgs: 256,
			Logger:          logger,
		})
		if err != nil {
			return nil, err
		}
		c.members = append(c.members, &member{id: id, node: rn, storage: s,
			applied: 1, compactedTo: 1})
	}
	if err := c.members[0].node.Campaign(); err != nil {
		return nil, err
	}
	c.Settle()
	if st := c.members[0].node.BasicStatus(); st.RaftState != raft.StateLeader {
		return nil, fmt.Errorf("node 1 is %v after the election", st.RaftState)
	}
	// The new leader's empty entry is now applied everywhere.
	last := c.members[0].applied
	for _, m := range c.members {
		if m.applied != last {
			return nil, fmt.Errorf("node %d applied %d, leader %d", m.id,
				m.applied, last)
		}
	}
	return c, nil
}

// handleReady processes one Ready of m: persist entries and hard state, queue
// the messages (sent after persisting), apply committed entries, Advance.
func (c *Cluster) handleReady(m *member) {
	rd := m.node.Ready()
	if !raft.IsEmptyHardState(rd.HardState) {
		m.storage.SetHardState(rd.HardState)
	}
	if len(rd.Entries) > 0 {
		m.storage.Append(rd.Entries)
	}
	c.inbox = append(c.inbox, rd.Messages...)
	m.readStates += len(rd.ReadStates)
	for i := range rd.CommittedEntries {
		e := &rd.CommittedEntries[i]
		m.appliedSum += uint64(len(e.Data))
		m.applied = e.Index
	}
	m.node.Advance(rd)
	if m.applied-m.compactedTo >= compactEvery {
		m.storage.Compact(m.applied)
		m.compactedTo = m.applied
	}
}

// Settle runs every node's Ready loop and delivers messages in memory until
// no node has anything left to do.
func (c *Cluster) Settle() {
	for {
		progress := false
		for _, m := range c.members {
			if m.node.HasReady() {
				c.handleReady(m)
				progress = true
			}
		}
		if len(c.inbox) > 0 {
			// Swap buffers: delivering may queue more messages.
			batch := c.inbox
			c.inbox = c.spare[:0]
			for i := range batch {
				// All peers are known and no message is local.
				if err := c.members[batch[i].To-1].node.Step(batch[i]); err != nil {
					panic(err)
				}
			}
			c.spare = batch[:0]
			progress = true
		}
		if !progress {
			return
		}
	}
}

// ProposeAndApply proposes data on the leader and runs the cluster until every
// node has applied it. It returns an error if that did not happen.
func (c *Cluster) ProposeAndApply(data []byte) error {
	leader := c.members[0]
	want := leader.applied + 1 // everything before was applied everywhere
	if err := leader.node.Propose(data); err != nil {
		return err
	}
	c.Settle()
	for _, m := range c.members {
		if m.applied != want {
			return fmt.Errorf("node %d applied %d, want %d", m.id, m.applied, want)
		}
	}
	return nil
}

// ReadIndexRound issues k ReadIndex requests on the leader, each with a fresh,
// unique 8-byte context, then settles the cluster. It returns an error unless
// the leader released exactly k read states.
func (c *Cluster) ReadIndexRound(k int) error {
	leader := c.members[0]
	before := leader.readStates
	for i := 0; i < k; i++ {
		c.readCtx++
		ctx := make([]byte, 8)
		binary.LittleEndian.PutUint64(ctx, c.readCtx)
		leader.node.ReadIndex(ctx)
	}
	c.Settle()
	if got := leader.readStates - before; got != k {
		return fmt.Errorf("leader released %d read states, want %d", got, k)
	}
	return nil
}
