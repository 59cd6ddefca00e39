// Package api is danbao's HTTP service: a chi router over the models,
// scenarios and sim packages, with storage, a job scheduler, API keys,
// problem documents and metrics. It stays thin (STYLE.md §1): each handler
// decodes and checks a request, calls the domain, and encodes the answer.
//
// The routes are described in openapi.yaml (OpenAPI 3.1, served at
// /openapi.yaml); the tests validate every request and response they make
// against it. In short:
//
//	GET    /v1/portfolios                 list          (viewer)
//	POST   /v1/portfolios                 upload        (analyst; multipart CSV, XLSX, Parquet or Arrow)
//	GET    /v1/portfolios/{id}[/describe] metadata, today's position
//	DELETE /v1/portfolios/{id}            delete        (admin)
//	GET    /v1/scenarios[/{name}]         built-ins
//	POST   /v1/scenarios/validate         check a scenario (analyst)
//	POST   /v1/runs                       start a run   (analyst) → 202 + Location
//	GET    /v1/runs[/{id}]                status, progress, ETA
//	DELETE /v1/runs/{id}                  cancel        (analyst)
//	POST   /v1/runs/{id}/resubmit         run an interrupted, failed or cancelled run again
//	GET    /v1/runs/{id}/result           result document (danbao.result/v1)
//	GET    /v1/runs/{id}/paths            per-path results, Arrow IPC stream or CSV
//	GET    /v1/runs/{id}/tables/{table}   loss, defaults, metrics, targets, outlays, contributions as CSV
//	…      /v1/sweeps, /v1/topups         the same routes (but paths) for sweeps and capital top-ups
//	GET    /healthz /readyz /metrics /openapi.yaml /
//
// Errors. Handlers return errors; Server.handle turns them into RFC 9457
// problem documents through one table (statusTable) that maps the models
// categories (ErrInvalid, ErrNotFound, …) and the api's own (queue full,
// unauthorized, …) to statuses. Only text written for clients reaches
// them: an *Error's message, input problem lists, and the text of domain
// errors of a client category. Anything else is a 500 "internal error"
// whose cause is logged with the request id.
//
// Storage. A data folder holds an SQLite database (WAL, full sync) for
// metadata and files for snapshots and results. Files are staged, synced
// and renamed into place before the row that points to them is committed,
// so after any crash a row has its files. At start, jobs a previous process
// left queued or running are marked interrupted; they can be resubmitted.
//
// Jobs. A run is a job: a JobFunc with a progress callback, admitted by
// the scheduler (bounded concurrency, bounded FIFO queue, memory budget by
// estimate), whose output is stored as result.json plus attachments. A
// kind of job is a jobKind whose prepare checks the request body and
// returns a jobSpec wrapping the sim call (runs: sim.Simulate, sweeps:
// sim.Sweep, top-ups: sim.Execute and sim.Topup), plus one mountJobs call
// in routes; status, progress, cancel, result, tables, resubmission,
// persistence and metrics come with it.
//
// Web pages (package api/web) are not in this router: cmd/danbao mounts
// them beside it (GET / for browsers, /ui, /static), gives them the
// router's middleware (Middlewares) and the API's JSON index (Index), and
// serves both with ServeHandler. The pages call the router in process with
// the user's key. The JSON documents both read (job status and states,
// the problem document, list entries) are in api/dto. Build the router
// only through NewServer.
package api
