package native

import (
	"fmt"
	"testing"

	"github.com/mirrorbench/mirrorbench/trainer"
)

// gradientsPerShard is GradientsTree the slow, obvious way, and its
// definition: Gradients on each micro-shard into parts, the parts added
// pairwise level by level in float32 (the sum ends in parts[0]), and the
// micro-shards' results summed in micro-shard order.
func gradientsPerShard(rep trainer.Replica, p *trainer.Params, b trainer.Batch, micro int, parts []*trainer.Params) (trainer.Result, error) {
	k := b.Len() / micro
	var total trainer.Result
	for s := range k {
		res, err := rep.Gradients(p, b.Slice(s*micro, (s+1)*micro), parts[s])
		if err != nil {
			return total, err
		}
		total.LossSum += res.LossSum
		total.Correct += res.Correct
	}
	for stride := 1; stride < k; stride *= 2 {
		for u := 0; u+stride < k; u += 2 * stride {
			parts[u].Add(parts[u+stride])
		}
	}
	return total, nil
}

func newParamsList(k int) []*trainer.Params {
	parts := make([]*trainer.Params, k)
	for i := range parts {
		parts[i] = trainer.NewParams()
	}
	return parts
}

// stale fills every gradient value with v, so that a result which leaves
// any value unwritten shows.
func stale(g *trainer.Params, v float32) {
	for i := range g.T {
		for j := range g.T[i].Data {
			g.T[i].Data[j] = v
		}
	}
}

// TestGradientsTreeBitwise: GradientsTree gives bit for bit the gradients of
// Gradients per micro-shard added in the canonical tree, on real MNIST with
// non-zero biases, for 1 and 2 threads, on both kernel paths. Correct is
// exact; LossSum is exactly the micro-shards' loss sums added in order (the
// order a caller summing per-micro-shard Results uses), so it is compared
// with == too.
func TestGradientsTreeBitwise(t *testing.T) {
	ds, err := mnist()
	if err != nil {
		t.Fatalf("MNIST: %v", err)
	}
	forPaths(t, func(t *testing.T) {
		for _, c := range []struct{ k, micro, offset int }{
			{1, 8, 0}, {2, 8, 0}, {4, 8, 0}, {4, 4, 0}, {2, 8, 100}, {4, 8, 1000}, {8, 4, 64}, {1, 1, 5}, {4, 1, 7},
		} {
			n := c.k * c.micro
			batch := ds.Train.Slice(c.offset, c.offset+n)
			p := initParams(uint64(11 + c.offset))
			for _, threads := range []int{1, 2} {
				t.Run(fmt.Sprintf("k=%d/micro=%d/offset=%d/threads=%d", c.k, c.micro, c.offset, threads), func(t *testing.T) {
					rep := newTestReplica(t, threads, n)
					parts := newParamsList(c.k)
					want, err := gradientsPerShard(rep, p, batch, c.micro, parts)
					if err != nil {
						t.Fatal(err)
					}
					g := trainer.NewParams()
					stale(g, 123)
					got, err := rep.(trainer.TreeReplica).GradientsTree(p, batch, c.micro, g)
					if err != nil {
						t.Fatal(err)
					}
					if got != want {
						t.Errorf("result %+v, per micro-shard %+v", got, want)
					}
					for i := range g.T {
						for j, v := range g.T[i].Data {
							if w := parts[0].T[i].Data[j]; v != w {
								t.Fatalf("%s[%d] = %g, per micro-shard %g (and perhaps more)", g.T[i].Name, j, v, w)
							}
						}
					}
					if g.Fingerprint() != parts[0].Fingerprint() {
						t.Fatal("fingerprints differ")
					}
				})
			}
		}
	})
}

// TestGradientsTreeOneShardIsGradients: with one micro-shard, GradientsTree
// is Gradients.
func TestGradientsTreeOneShardIsGradients(t *testing.T) {
	rep := newTestReplica(t, 2, 24)
	p, b := initParams(12), syntheticBatch(24, 12)
	g1, g2 := trainer.NewParams(), trainer.NewParams()
	r1, err1 := rep.Gradients(p, b, g1)
	r2, err2 := rep.(trainer.TreeReplica).GradientsTree(p, b, 24, g2)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	if r1 != r2 || g1.Fingerprint() != g2.Fingerprint() {
		t.Errorf("GradientsTree(micro = n) differs from Gradients: %+v vs %+v", r2, r1)
	}
}

func TestGradientsTreeRejectsBadShapes(t *testing.T) {
	rep := newTestReplica(t, 1, 32).(trainer.TreeReplica)
	p, g := initParams(13), trainer.NewParams()
	for _, c := range []struct{ n, micro int }{{24, 8}, {16, 3}, {16, 0}, {0, 8}, {48, 8}} {
		if _, err := rep.GradientsTree(p, syntheticBatch(c.n, 1), c.micro, g); err == nil {
			t.Errorf("batch %d, micro %d accepted", c.n, c.micro)
		}
	}
}

// TestGradientsTreeNoAllocations: GradientsTree allocates nothing in steady state.
func TestGradientsTreeNoAllocations(t *testing.T) {
	for _, threads := range []int{1, 2} {
		rep := newTestReplica(t, threads, 32).(trainer.TreeReplica)
		p, g, b := initParams(8), trainer.NewParams(), syntheticBatch(32, 8)
		for _, micro := range []int{8, 4} {
			if allocs := testing.AllocsPerRun(5, func() { rep.GradientsTree(p, b, micro, g) }); allocs != 0 {
				t.Errorf("threads=%d micro=%d: GradientsTree allocates %v times per call", threads, micro, allocs)
			}
		}
	}
}

// BenchmarkGradientsTree: one replica's share of the canonical step at batch
// 16 in micro-shards of 8, one thread: GradientsTree against Gradients per
// micro-shard plus the tree's addition, and against plain Gradients on 16.
func BenchmarkGradientsTree(b *testing.B) {
	const n, micro = 16, 8
	batch := realBatch(b).Slice(0, n)
	p := initParams(1)
	report := func(b *testing.B) {
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/n, "ns/sample")
	}
	b.Run("tree", func(b *testing.B) {
		rep := newTestReplica(b, 1, n).(trainer.TreeReplica)
		g := trainer.NewParams()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rep.GradientsTree(p, batch, micro, g); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("per-micro-shard", func(b *testing.B) {
		rep := newTestReplica(b, 1, n)
		parts := newParamsList(n / micro)
		b.ReportAllocs()
		for b.Loop() {
			if _, err := gradientsPerShard(rep, p, batch, micro, parts); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
	b.Run("fast", func(b *testing.B) { // no micro-shards: the bound to approach
		rep := newTestReplica(b, 1, n)
		g := trainer.NewParams()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := rep.Gradients(p, batch, g); err != nil {
				b.Fatal(err)
			}
		}
		report(b)
	})
}
