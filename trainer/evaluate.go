package trainer

import (
	"errors"
	"sync"
)

// EvalChunk is the number of images each Replica.Evaluate call is given. It
// is a constant, not a replica's MaxBatch, so that the evaluation loss (a sum
// per chunk, then over chunks in order) does not depend on how many replicas
// share the work. A replica that evaluates needs MaxBatch >= EvalChunk.
const EvalChunk = 500

// Evaluate runs the forward pass of params over data on one replica, in
// chunks of EvalChunk images, and sums the chunks' results in chunk order:
// what Trainer.Evaluate computes on its replicas, without a Trainer.
func Evaluate(rep Replica, params *Params, data Batch) (Result, error) {
	return evaluate([]Replica{rep}, params, data)
}

// evaluate is Evaluate with the chunks dealt round-robin to the replicas;
// the result does not depend on how many there are.
func evaluate(reps []Replica, params *Params, data Batch) (Result, error) {
	n := (data.Len() + EvalChunk - 1) / EvalChunk
	res := make([]Result, n)
	errs := make([]error, len(reps))
	var wg sync.WaitGroup
	for r, rep := range reps {
		wg.Go(func() {
			for c := r; c < n; c += len(reps) {
				res[c], errs[r] = rep.Evaluate(params, data.Slice(c*EvalChunk, min((c+1)*EvalChunk, data.Len())))
				if errs[r] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	var total Result
	for _, r := range res {
		total.Add(r)
	}
	return total, errors.Join(errs...)
}
