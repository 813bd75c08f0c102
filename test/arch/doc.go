// Package arch holds the repository's architecture rules as a test: which packages may import what.
package arch
