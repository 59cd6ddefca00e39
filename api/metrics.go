package api

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// metrics are the server's Prometheus series, in a registry of its own so
// that several servers can live in one process (tests).
type metrics struct {
	reg            *prometheus.Registry
	jobs           *prometheus.GaugeVec     // danbao_jobs{kind,state}
	jobDuration    *prometheus.HistogramVec // danbao_job_duration_seconds{kind,state}
	pathsPerSecond *prometheus.HistogramVec // danbao_run_paths_per_second{kind}
	queueDepth     prometheus.Gauge         // danbao_queue_depth
	running        prometheus.Gauge         // danbao_jobs_running
	memReserved    prometheus.Gauge         // danbao_memory_reserved_bytes
	memBudget      prometheus.Gauge         // danbao_memory_budget_bytes
	rejected       *prometheus.CounterVec   // danbao_jobs_rejected_total{reason}
	httpLatency    *prometheus.HistogramVec // danbao_http_request_duration_seconds{method,route,code}
}

func newMetrics() *metrics {
	m := &metrics{
		reg: prometheus.NewRegistry(),
		jobs: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "danbao_jobs", Help: "Jobs (runs, sweeps, top-ups) known to the server, by kind and state.",
		}, []string{"kind", "state"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "danbao_job_duration_seconds", Help: "Wall time of finished jobs from start to end, by kind and final state.",
			Buckets: prometheus.ExponentialBuckets(0.05, 2, 16),
		}, []string{"kind", "state"}),
		pathsPerSecond: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "danbao_run_paths_per_second", Help: "Monte Carlo paths per second of succeeded jobs.",
			Buckets: prometheus.ExponentialBuckets(100, 2, 16),
		}, []string{"kind"}),
		queueDepth:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "danbao_queue_depth", Help: "Jobs waiting for a slot."}),
		running:     prometheus.NewGauge(prometheus.GaugeOpts{Name: "danbao_jobs_running", Help: "Jobs running now."}),
		memReserved: prometheus.NewGauge(prometheus.GaugeOpts{Name: "danbao_memory_reserved_bytes", Help: "Estimated memory of admitted (queued and running) jobs."}),
		memBudget:   prometheus.NewGauge(prometheus.GaugeOpts{Name: "danbao_memory_budget_bytes", Help: "Memory budget for admitted jobs (--max-memory)."}),
		rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "danbao_jobs_rejected_total", Help: "Job submissions refused by admission control, by reason (queue_full, memory, too_large, draining, quota).",
		}, []string{"reason"}),
		// Labels from fixed sets only (observe): method is GET, HEAD, POST,
		// PUT, PATCH, DELETE, OPTIONS or "other"; route is a pattern of
		// the router or "unmatched", never the requested path.
		httpLatency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "danbao_http_request_duration_seconds", Help: "HTTP request latency by method (other: not a standard method), route pattern (unmatched: none) and status code.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route", "code"}),
	}
	m.reg.MustRegister(m.jobs, m.jobDuration, m.pathsPerSecond, m.queueDepth, m.running, m.memReserved, m.memBudget,
		m.rejected, m.httpLatency,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}
