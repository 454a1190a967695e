-- guardrail_apisix: drives wasm-nginx-module's `resty.proxy-wasm` API the way APISIX's
-- `apisix/wasm.lua` does, for the chain of guardrail plugins on one route (written by
-- guardrail_harness::hosts into the run directory; not APISIX code):
--   access:        on_configure once per plugin (first request), on_http_request_headers,
--                  then on_http_request_body with the whole body when the plugin set
--                  $wasm_process_req_body; a failed call answers 503
--   header_filter: on_http_response_headers; remembers $wasm_process_resp_body per plugin
--   body_filter:   on_http_response_body for the plugins that asked for it
-- Plugins run in chain order in every phase (APISIX runs plugins in priority order in each).
local wasm = require("resty.proxy-wasm")

local _M = {}
local plugins = {}

function _M.init(list)
    for _, p in ipairs(list) do
        local plugin, err = wasm.load(p.name, p.file)
        if not plugin then
            ngx.log(ngx.ERR, p.name, ": failed to load wasm plugin: ", err)
        end
        plugins[#plugins + 1] = { name = p.name, conf = p.conf, plugin = plugin }
    end
end

local function plugin_ctx(p)
    if not p.plugin then
        return nil, "not loaded"
    end
    if not p.ctx then
        local ctx, err = wasm.on_configure(p.plugin, p.conf)
        if not ctx then
            return nil, err
        end
        p.ctx = ctx
    end
    return p.ctx
end

-- APISIX's core.request.get_body(): the buffered body, or the temp file nginx wrote it to.
local function get_body()
    ngx.req.read_body()
    local body = ngx.req.get_body_data()
    if body then
        return body
    end
    local file = ngx.req.get_body_file()
    if not file then
        return nil
    end
    local f, err = io.open(file, "rb")
    if not f then
        return nil, err
    end
    body = f:read("*a")
    f:close()
    return body
end

function _M.access()
    for _, p in ipairs(plugins) do
        local ctx, err = plugin_ctx(p)
        if not ctx then
            ngx.log(ngx.ERR, p.name, ": failed to fetch wasm plugin ctx: ", err)
            return ngx.exit(503)
        end
        local ok, err = wasm.on_http_request_headers(ctx)
        if not ok then
            ngx.log(ngx.ERR, p.name, ": failed to run wasm plugin: ", err)
            return ngx.exit(503)
        end
        if ngx.var.wasm_process_req_body ~= "" then
            ngx.var.wasm_process_req_body = ""
            local body, err = get_body()
            if err ~= nil then
                ngx.log(ngx.ERR, p.name, ": failed to get request body: ", err)
                return ngx.exit(503)
            end
            local ok, err = wasm.on_http_request_body(ctx, body, true)
            if not ok then
                ngx.log(ngx.ERR, p.name, ": failed to run wasm plugin: ", err)
                return ngx.exit(503)
            end
        end
    end
end

function _M.header_filter()
    for _, p in ipairs(plugins) do
        local ctx, err = plugin_ctx(p)
        if not ctx then
            ngx.log(ngx.ERR, p.name, ": failed to fetch wasm plugin ctx: ", err)
            return ngx.exit(503)
        end
        local ok, err = wasm.on_http_response_headers(ctx)
        if not ok then
            ngx.log(ngx.ERR, p.name, ": failed to run wasm plugin: ", err)
            return ngx.exit(503)
        end
        if ngx.var.wasm_process_resp_body ~= "" then
            ngx.var.wasm_process_resp_body = ""
            ngx.ctx["wasm_" .. p.name .. "_process_resp_body"] = true
        end
    end
end

function _M.body_filter()
    for _, p in ipairs(plugins) do
        if ngx.ctx["wasm_" .. p.name .. "_process_resp_body"] then
            local ctx, err = plugin_ctx(p)
            if not ctx then
                ngx.log(ngx.ERR, p.name, ": failed to fetch wasm plugin ctx: ", err)
                return
            end
            local ok, err = wasm.on_http_response_body(ctx)
            if not ok then
                ngx.log(ngx.ERR, p.name, ": failed to run wasm plugin: ", err)
                return
            end
        end
    end
end

return _M
