package main

import (
	"bytes"
	"testing"
)

func TestResultsMarkdownGolden(t *testing.T) {
	_, rep := loadSample(t)
	var b bytes.Buffer
	if err := WriteResultsMarkdown(&b, rep); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "results.md", b.Bytes())
}

func TestSummaryGolden(t *testing.T) {
	_, rep := loadSample(t)
	var b bytes.Buffer
	if err := WriteSummary(&b, rep); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "table.txt", b.Bytes())
}

func TestResultsJSONGolden(t *testing.T) {
	_, rep := loadSample(t)
	b, err := MarshalResults(rep)
	if err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "results.json", b)
}
