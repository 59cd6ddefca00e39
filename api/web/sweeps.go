package web

import (
	"net/http"
	"net/url"
)

func (h *Handler) sweepPage(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, h.call(r, http.MethodGet, "/v1/sweeps/"+url.PathEscape(r.PathValue("id")), nil, nil))
}

func (h *Handler) topupPage(w http.ResponseWriter, r *http.Request) {
	h.fail(w, r, h.call(r, http.MethodGet, "/v1/topups/"+url.PathEscape(r.PathValue("id")), nil, nil))
}
