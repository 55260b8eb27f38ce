package schema

import (
	"runtime"
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
// vals[i], into one result each, in the order of keys. Many are evaluated
// concurrently, each worker with its own checker; what they share is safe
// for that: the evaluation context and the values are only read (each
// instance evaluates in its own child context, which is what hclsyntax's
// splat expressions need, or looks each.value.NAME up without one), the
// functions keep no state but file()'s cache, which a mutex guards, and
// the budget, which is atomic.
//
// The results are those of evaluating the instances one after the other.
// That holds for the budget as long as it suffices (then the order of the
// charges makes no difference); when the concurrent instances exhaust it,
// which of them were refused depends on the timing, so what they charged is
// given back and they are evaluated again one after the other. A panic is
// raised again in the caller's goroutine, the first instance's that panics,
// as it would have been without goroutines.
func (ev *evaluator) instances(ob *orderBlock, ctx *hcl.EvalContext, keys, vals []cty.Value, strict bool) []result {
	rs := make([]result, len(keys))
	fixed := ev.fixedValues(ob, ctx, len(keys))
	eval := func(c *checker, i int) {
		c.each.bind(keys[i], vals[i])
		ev.instance(&rs[i], ob, ctx, &keys[i], false, c)
		c.each.bind(cty.NilVal, cty.NilVal)
	}
	sequential := func() []result {
		c := &checker{strict: strict, fixed: fixed, each: &eachBinding{}}
		for i := range keys {
			eval(c, i)
		}
		return rs
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
	)
	panicked.Store(int64(len(keys)))
	work := func() {
		c := &checker{strict: strict, fixed: fixed, each: &eachBinding{}}
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
					eval(c, int(i))
				}()
			}
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()

	if first := panicked.Load(); first < int64(len(keys)) {
		panic(panicVals[first])
	}
	if b != nil {
		elements1, bytes1 := b.elements.Load(), b.bytes.Load()
		if (elements0 <= maxEvalElements && elements1 > maxEvalElements) || (bytes0 <= maxEvalBytes && bytes1 > maxEvalBytes) {
			b.elements.Add(elements0 - elements1)
			b.bytes.Add(bytes0 - bytes1)
			clear(rs)
			return sequential()
		}
	}
	return rs
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
