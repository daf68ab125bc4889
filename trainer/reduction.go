package trainer

// reduction is a fixed order of float32 additions that sums the units'
// gradients into units[0]: adds, element-wise and in this order, then final,
// which Adam adds as it reads the gradient (Adam.UpdateSum), saving a pass
// over the parameters. final is nil when adds alone leave the sum in
// units[0]. The order is what distinguishes the reductions: the same
// additions in the same order give the same bits.
type reduction struct {
	adds  []addition
	final *Params
}

// addition is dst += src, element-wise.
type addition struct{ dst, src *Params }

// fastReduction adds the units in order, (g0 + g1) + g2 + ...: the fewest
// passes, but the sum's rounding depends on how many units (replicas) there
// are.
func fastReduction(units []*Params) reduction {
	var r reduction
	for _, u := range units[1:] {
		r.adds = append(r.adds, addition{units[0], u})
	}
	return r.finalToAdam()
}

// canonicalReduction adds neighbours pairwise, level by level,
// (g0 + g1) + (g2 + g3) for four units: a tree fixed by the unit (micro-shard)
// count alone, whatever the replica count. The levels below subtree are the
// replicas' own (TreeReplica).
func canonicalReduction(units []*Params, subtree int) reduction {
	var r reduction
	for stride := subtree; stride < len(units); stride *= 2 {
		for u := 0; u+stride < len(units); u += 2 * stride {
			r.adds = append(r.adds, addition{units[u], units[u+stride]})
		}
	}
	return r.finalToAdam()
}

// finalToAdam hands the last addition (into units[0], in both reductions) to
// Adam.
func (r reduction) finalToAdam() reduction {
	if n := len(r.adds); n > 0 {
		r.final = r.adds[n-1].src
		r.adds = r.adds[:n-1]
	}
	return r
}

// treeBlock is the number of canonical units each replica reduces itself:
// more than 1 only when every replica can (TreeReplica) and its block of
// units is a power of two, hence a complete subtree of the pairwise tree.
func treeBlock(cfg Config, reps []Replica) int {
	if !cfg.Canonical {
		return 1
	}
	k := cfg.GlobalBatch / cfg.MicroShard / cfg.Replicas
	if k < 2 || k&(k-1) != 0 {
		return 1
	}
	for _, r := range reps {
		if _, ok := r.(TreeReplica); !ok {
			return 1
		}
	}
	return k
}
