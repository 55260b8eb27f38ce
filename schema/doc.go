// Package schema is stage 1 of orderform: it turns the HCL files of a
// configuration directory into the desired state of orders, with every check
// that can be made without the network. cty never leaves this package: the
// results are plain Go values, and problems are hcl.Diagnostics with source
// ranges, collected and returned, never printed.
//
// Loading has two phases because data sources are read over the network
// between them:
//
//  1. Load parses every *.hcl file of a directory, decodes the blocks, sets
//     the input variables (defaults, ORDERFORM_VAR_name, the directory's
//     orderform.ofvars and *.auto.ofvars, -var-file, -var),
//     evaluates locals, the provider block and the arguments of data sources,
//     and runs every static check, evaluating the order blocks with the data
//     sources' results unknown.
//  2. (*Config).Orders evaluates the order blocks again with the data
//     sources' results bound (or unknown, for an offline validate).
//
// Use this package for anything that reads configuration; the provider
// package talks to the API and the plan package compares the two.
// Format is the logic behind `orderform fmt`.
package schema
