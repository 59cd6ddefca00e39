package main

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/wenzhou/danbao/api"
	"github.com/wenzhou/danbao/api/web"
)

// site is what danbao serve answers with: one chi router with the
// dashboard (api/web) mounted at GET /, /ui and /static, and the API's
// router (srv.Routes) mounted at / for every other path. The dashboard
// gets the API's middleware (request ids, the access log, security
// headers, the local-only guard); the API's router has its own.
//
// The pages reach the API only through its router, in process and with
// the user's key (web.Handler), so a page can do exactly what that key
// may do; GET / gives browsers the dashboard and other clients the API's
// JSON index.
func site(srv *api.Server, cfg api.Config) http.Handler {
	routes := srv.Routes()
	pages := web.New(routes, web.Options{Index: srv.Index(), Logger: cfg.Logger, Carry: srv.CarryKeys(),
		TrustProxy: cfg.TrustProxy, SessionTTL: cfg.SessionTTL})
	r := chi.NewRouter()
	pages.Mount(r, srv.Middlewares()...)
	r.Mount("/", routes)
	return r
}
