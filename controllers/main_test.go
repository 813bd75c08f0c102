package controllers

import (
	"os"
	"testing"

	"go.uber.org/zap/zapcore"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
)

// TestMain shows the agent's logs (controller-runtime's included) when AGENT_DEBUG_LOG is set.
func TestMain(m *testing.M) {
	if os.Getenv("AGENT_DEBUG_LOG") != "" {
		ctrl.SetLogger(zap.New(zap.UseDevMode(true), zap.Level(zapcore.Level(-5))))
	}
	os.Exit(m.Run())
}
