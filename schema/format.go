package schema

import "github.com/hashicorp/hcl/v2/hclwrite"

// Format rewrites HCL source in canonical style (indentation, aligned
// equals signs), as `orderform fmt` does; the command layer handles files,
// -check and -diff. Like hclwrite.Format, it does not validate: feed it only
// source that parses (hclsyntax), or it may leave the text odd.
func Format(src []byte) []byte {
	return hclwrite.Format(src)
}
