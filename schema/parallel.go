package schema

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
)

// parallelMin is the number of for_each instances from which instances
// evaluates them on every core: below it, goroutines cost more than they
// save. Tests set it to compare both ways on one configuration.
var parallelMin = 256

// instanceBatch is how many consecutive instances a worker takes at a time:
// enough that taking them costs nothing, few enough that the workers end
// together.
const instanceBatch = 32

// instances evaluates the instances of a for_each block, keys[i] bound to
// vals[i], into out[i] (len(keys) orders), and returns the notes of those
// whose result is not the usual one (see note), in the order of keys. Many
// are evaluated concurrently, each worker with its own checker; what they
// share is safe for that: the evaluation context and the values are only
// read (each instance evaluates in its own child context, which is what
// hclsyntax's splat expressions need, or looks each.value.NAME up without
// one), the functions keep no state but file()'s cache, which a mutex
// guards, and the budget, which is atomic.
//
// The results are those of evaluating the instances one after the other.
// That holds for the budget as long as it suffices (then the order of the
// charges makes no difference); when the concurrent instances exhaust it,
// which of them were refused depends on the timing, so what they charged is
// given back and they are evaluated again one after the other. A panic is
// raised again in the caller's goroutine, the first instance's that panics,
// as it would have been without goroutines.
func (ev *evaluator) instances(ob *orderBlock, ctx *hcl.EvalContext, keys, vals []cty.Value, strict bool, out []Order) []note {
	fixed := ev.fixedValues(ob, ctx, len(keys))
	usualRng := ob.idRange()
	// eval evaluates instance i with c, adding its note to notes if it
	// has one. r is c's, reused: only a note keeps its diagnostics.
	eval := func(c *checker, r *result, i int, notes []note) []note {
		c.each.bind(keys[i], vals[i])
		ev.instance(&out[i], r, ob, ctx, &keys[i], false, c)
		c.each.bind(cty.NilVal, cty.NilVal)
		if len(r.diags) > 0 || (r.checkID && r.idRng != usualRng) {
			notes = append(notes, note{i, *r})
		}
		*r = result{}
		return notes
	}
	sequential := func() []note {
		c := &checker{strict: strict, fixed: fixed, each: &eachBinding{}}
		var r result
		var notes []note
		for i := range keys {
			notes = eval(c, &r, i, notes)
		}
		return notes
	}
	workers := min(runtime.GOMAXPROCS(0), (len(keys)+instanceBatch-1)/instanceBatch)
	if len(keys) < parallelMin || workers < 2 {
		return sequential()
	}

	b := ev.budget
	var elements0, bytes0 int64
	if b != nil {
		elements0, bytes0 = b.elements.Load(), b.bytes.Load()
	}
	var (
		next atomic.Int64
		// panicked is the first instance that panicked, len(keys) if none:
		// the instances after it need not be evaluated.
		panicked  atomic.Int64
		mu        sync.Mutex
		panicVals = map[int64]any{}
		// The workers' notes, each in the order of keys.
		notesOf = make([][]note, workers)
	)
	panicked.Store(int64(len(keys)))
	work := func(w int) {
		c := &checker{strict: strict, fixed: fixed, each: &eachBinding{}}
		var r result
		notes := notesOf[w]
		defer func() { notesOf[w] = notes }()
		for {
			start := next.Add(instanceBatch) - instanceBatch
			if start >= int64(len(keys)) || start > panicked.Load() {
				return
			}
			for i := start; i < min(start+instanceBatch, int64(len(keys))); i++ {
				if i > panicked.Load() {
					return
				}
				func() {
					defer func() {
						if p := recover(); p != nil {
							mu.Lock()
							panicVals[i] = p
							mu.Unlock()
							for {
								first := panicked.Load()
								if i >= first || panicked.CompareAndSwap(first, i) {
									break
								}
							}
						}
					}()
					notes = eval(c, &r, int(i), notes)
				}()
			}
		}
	}
	var wg sync.WaitGroup
	for w := range workers - 1 {
		wg.Go(func() { work(w + 1) })
	}
	work(0)
	wg.Wait()

	if first := panicked.Load(); first < int64(len(keys)) {
		panic(panicVals[first])
	}
	if b != nil {
		elements1, bytes1 := b.elements.Load(), b.bytes.Load()
		if (elements0 <= maxEvalElements && elements1 > maxEvalElements) || (bytes0 <= maxEvalBytes && bytes1 > maxEvalBytes) {
			b.elements.Add(elements0 - elements1)
			b.bytes.Add(bytes0 - bytes1)
			clear(out)
			return sequential()
		}
	}
	notes := slices.Concat(notesOf...)
	slices.SortFunc(notes, func(a, b note) int { return a.i - b.i })
	return notes
}

// note is the result of a for_each instance that is not the usual one:
// no diagnostics, and an ID, if it has one, declared where the block's
// instances declare it (idRange). Instances without a note are the
// majority, and keep no result.
type note struct {
	i int // the instance's index
	r result
}

// fixedValues evaluates once, in the block's context, the attributes of a
// for_each block of n instances that have one value in all of them: those
// that do not refer to each and call no function (which would be charged
// to the budget once per instance). Each instance still checks the value,
// and reports the diagnostics of its evaluation, as if it had evaluated it.
func (ev *evaluator) fixedValues(ob *orderBlock, ctx *hcl.EvalContext, n int) map[*attrExpr]fixedValue {
	if n < 2 {
		return nil
	}
	var fixed map[*attrExpr]fixedValue
	for _, a := range ob.attrList() {
		if a.each || a.bad || a.calls {
			continue
		}
		if fixed == nil {
			fixed = map[*attrExpr]fixedValue{}
		}
		v, diags := a.expr.Value(ctx)
		fixed[a] = fixedValue{v, diags}
	}
	return fixed
}
