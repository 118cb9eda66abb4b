-- Headless Neovim end-to-end test of the gradls language server.
--
--   GRADLS_E2E_FILE=... GRADLS_E2E_EXPECTED=... GRADLS_E2E_RESULT=out.json \
--   GRADLS_E2E_MODE=enable|start_client  [GRADLS_E2E_CMD='["gradls","serve"]'] \
--   nvim --headless -u NONE -i NONE --cmd 'set rtp^=REPO' -c 'luafile gradls_e2e.lua'
--
-- enable:       Neovim 0.11+: vim.lsp.enable('gradls') with the repository's lsp/gradls.lua
-- start_client: any Neovim from 0.7: vim.lsp.start_client + vim.lsp.buf_attach_client
-- docs:         the client is started by the init.lua the test wrote from docs/editors.md's
--               snippets (nvim -u init.lua, filetype detection on), which also define
--               :GradlsConfirm and fix all on save
--
-- Checks: a GRD101 diagnostic on line 6 under `.detach()`, a hover that explains it, the
-- quick fix "gradls (GRD101): Remove `.detach()`" applies and the buffer then equals the
-- expected text, the file written to disk equals it too, and the diagnostic goes away.
-- In docs mode, instead of the quick fix: :GradlsConfirm cpu reports the finding confirmed
-- (a notification and the diagnostic's message), then :write alone fixes the file (the
-- BufWritePre fix-all), and the diagnostic goes away.
-- Writes a JSON report to GRADLS_E2E_RESULT and exits 0 (pass) or 1 (fail).

local env = function(name, default)
  local v = os.getenv(name)
  if v == nil or v == '' then return default end
  return v
end

local FILE = assert(env('GRADLS_E2E_FILE'), 'GRADLS_E2E_FILE is required')
local EXPECTED = assert(env('GRADLS_E2E_EXPECTED'), 'GRADLS_E2E_EXPECTED is required')
local RESULT = env('GRADLS_E2E_RESULT', FILE .. '.result.json')
local MODE = env('GRADLS_E2E_MODE', vim.lsp.enable and 'enable' or 'start_client')
local TIMEOUT = tonumber(env('GRADLS_E2E_TIMEOUT_MS', '30000'))
local QUICKFIX_TITLE = 'gradls (GRD101): Remove `.detach()`'

local V = vim.version()
local report = { mode = MODE, version = string.format('%d.%d.%d', V.major, V.minor, V.patch), steps = {} }
local t0 = vim.loop.hrtime()
local function step(name, data)
  report.steps[#report.steps + 1] = { step = name, ms = math.floor((vim.loop.hrtime() - t0) / 1e6), data = data }
end

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do lines[#lines + 1] = line end
  return lines
end

local function write_report(ok, err)
  report.ok = ok
  report.error = err
  local f = assert(io.open(RESULT, 'w'))
  f:write(vim.fn.json_encode(report))
  f:close()
end

local function gradls_client(buf)
  local clients = vim.lsp.get_clients and vim.lsp.get_clients({ bufnr = buf, name = 'gradls' })
    or vim.lsp.buf_get_clients(buf)
  for _, c in pairs(clients) do
    if c.name == 'gradls' then return c end
  end
end

local function lsp_diagnostic(d)
  -- 0.7 keeps the LSP diagnostic in user_data.lsp but without its range: rebuild it.
  local lsp = vim.deepcopy((d.user_data or {}).lsp or {})
  lsp.range = lsp.range or {
    start = { line = d.lnum, character = d.col },
    ['end'] = { line = d.end_lnum or d.lnum, character = d.end_col or d.col },
  }
  lsp.message = lsp.message or d.message
  lsp.source = lsp.source or d.source
  lsp.code = lsp.code or d.code
  lsp.severity = lsp.severity or d.severity
  return lsp
end

-- docs mode: the recipes of docs/editors.md (:GradlsConfirm, fix all on save)
local function docs_recipes(buf, client, d)
  local notes = {}
  local notify = vim.notify
  vim.notify = function(msg, level, opts)
    notes[#notes + 1] = msg
    return notify(msg, level, opts)
  end
  assert(vim.fn.exists(':GradlsConfirm') == 2, 'the recipes did not define :GradlsConfirm')
  vim.cmd('GradlsConfirm cpu')
  local done = vim.wait(120000, function()
    for _, m in ipairs(notes) do
      if m:find('^gradls confirm: ') and not m:find('^gradls confirm: running ') then return true end
    end
  end, 100)
  assert(done, 'no result from :GradlsConfirm, notifications: ' .. vim.inspect(notes))
  local result = notes[#notes]
  step('confirm', { notifications = notes })
  assert(result:find('1 confirmed', 1, true), ':GradlsConfirm reported ' .. result)
  -- the verdict is attached to the diagnostic without an edit, on every version: a client
  -- that pulls (Neovim 0.10+) but takes no workspace/diagnostic/refresh gets pushes
  local confirmed = vim.wait(TIMEOUT, function()
    for _, x in ipairs(vim.diagnostic.get(buf)) do
      if x.message:find('confirmed by running', 1, true) then return true end
    end
  end, 50)
  assert(confirmed, 'the diagnostic does not say it was confirmed: ' .. vim.inspect(vim.diagnostic.get(buf)))
  step('confirmed_diagnostic', { checked = true })

  -- fix all on save: :write alone must fix the file
  vim.cmd('write')
  local want = read_lines(EXPECTED)
  assert(vim.deep_equal(vim.api.nvim_buf_get_lines(buf, 0, -1, false), want),
    'buffer after :write:\n' .. table.concat(vim.api.nvim_buf_get_lines(buf, 0, -1, false), '\n'))
  assert(vim.deep_equal(read_lines(FILE), want), 'the file written by :write is not the fixed text')
  step('fixed_on_save', {})
  local cleared = vim.wait(TIMEOUT, function() return #vim.diagnostic.get(buf) == 0 end, 50)
  assert(cleared, 'diagnostics remain after the fix: ' .. vim.inspect(vim.diagnostic.get(buf)))
  step('cleared', {})
end

local function run()
  vim.cmd('edit ' .. vim.fn.fnameescape(FILE))
  local buf = vim.api.nvim_get_current_buf()
  local cmd = env('GRADLS_E2E_CMD') and vim.fn.json_decode(env('GRADLS_E2E_CMD')) or nil

  if MODE == 'docs' then
    -- started by init.lua's FileType autocommand (filetype detection is on with -u init.lua)
    report.filetype = vim.bo[buf].filetype
    assert(vim.bo[buf].filetype == 'python', 'filetype is ' .. vim.inspect(vim.bo[buf].filetype))
  elseif MODE == 'enable' then
    assert(vim.lsp.enable, 'vim.lsp.enable needs Neovim 0.11+')
    if cmd then vim.lsp.config('gradls', { cmd = cmd }) end
    vim.lsp.enable('gradls')
    -- -u NONE has no filetype detection: setting the filetype fires FileType, which starts it
    vim.bo[buf].filetype = 'python'
  else
    vim.bo[buf].filetype = 'python'
    local id = vim.lsp.start_client({
      name = 'gradls',
      cmd = cmd or { 'gradls', 'serve' },
      root_dir = vim.fn.fnamemodify(FILE, ':p:h'),
      init_options = { settings = vim.empty_dict() },
    })
    assert(id, 'vim.lsp.start_client failed')
    vim.lsp.buf_attach_client(buf, id)
  end

  local ok = vim.wait(TIMEOUT, function() return #vim.diagnostic.get(buf) > 0 end, 50)
  assert(ok, 'no diagnostics within ' .. TIMEOUT .. ' ms')
  local client = assert(gradls_client(buf), 'no gradls client attached')
  report.client_name = client.name
  report.root_dir = client.config.root_dir
  local diags = vim.diagnostic.get(buf)
  local d
  for _, x in ipairs(diags) do
    if x.code == 'GRD101' or ((x.user_data or {}).lsp or {}).code == 'GRD101' then d = x end
  end
  assert(d, 'no GRD101 diagnostic among ' .. vim.inspect(diags))
  step('diagnostic', { lnum = d.lnum, col = d.col, end_col = d.end_col, source = d.source,
    severity = d.severity, message = d.message })
  assert(d.lnum == 5, 'GRD101 on line ' .. (d.lnum + 1) .. ', expected 6')
  local line = vim.api.nvim_buf_get_lines(buf, 5, 6, false)[1]
  local underlined = line:sub(d.col + 1, d.end_col)
  assert(underlined == '.detach()', 'the diagnostic underlines ' .. vim.inspect(underlined))
  assert(d.source == 'gradls', 'source is ' .. tostring(d.source))
  assert(d.severity == vim.diagnostic.severity.ERROR, 'severity is ' .. tostring(d.severity))

  -- hover
  local hover = vim.lsp.buf_request_sync(buf, 'textDocument/hover', {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    position = { line = d.lnum, character = d.col + 2 },
  }, TIMEOUT)
  local hover_text
  for _, r in pairs(hover or {}) do
    if r.result and r.result.contents then
      hover_text = r.result.contents.value or vim.inspect(r.result.contents)
    end
  end
  assert(hover_text and hover_text:find('GRD101', 1, true) and hover_text:find('gets no gradient', 1, true),
    'hover does not explain GRD101: ' .. tostring(hover_text))
  step('hover', { chars = #hover_text, first_line = vim.split(hover_text, '\n')[1] })

  if MODE == 'docs' then
    return docs_recipes(buf, client, d)
  end

  -- code action
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(buf) },
    range = lsp_diagnostic(d).range,
    context = { diagnostics = { lsp_diagnostic(d) }, only = { 'quickfix' } },
  }
  local responses = vim.lsp.buf_request_sync(buf, 'textDocument/codeAction', params, TIMEOUT)
  local action, titles = nil, {}
  for _, r in pairs(responses or {}) do
    for _, a in ipairs(r.result or {}) do
      titles[#titles + 1] = a.title
      if a.title == QUICKFIX_TITLE then action = a end
    end
  end
  step('code_actions', { titles = titles })
  assert(action, 'no quick fix titled ' .. QUICKFIX_TITLE .. ' among ' .. vim.inspect(titles))
  if not action.edit and action.data then
    local resolved = client.request_sync('codeAction/resolve', action, TIMEOUT, buf)
    assert(resolved and resolved.result, 'codeAction/resolve failed: ' .. vim.inspect(resolved))
    action = resolved.result
  end
  assert(action.edit, 'the quick fix has no edit')
  vim.lsp.util.apply_workspace_edit(action.edit, client.offset_encoding or 'utf-16')
  if action.command then
    client.request_sync('workspace/executeCommand', action.command, TIMEOUT, buf)
  end

  local got = vim.api.nvim_buf_get_lines(buf, 0, -1, false)
  local want = read_lines(EXPECTED)
  assert(vim.deep_equal(got, want), 'buffer after the fix:\n' .. table.concat(got, '\n'))
  step('applied', { line6 = got[6] })

  vim.cmd('write')
  assert(vim.deep_equal(read_lines(FILE), want), 'the file on disk differs from the expected text')
  step('written', {})

  local cleared = vim.wait(TIMEOUT, function() return #vim.diagnostic.get(buf) == 0 end, 50)
  assert(cleared, 'diagnostics remain after the fix: ' .. vim.inspect(vim.diagnostic.get(buf)))
  step('cleared', {})
end

local ok, err = xpcall(run, debug.traceback)
write_report(ok, (not ok) and tostring(err) or nil)
if not ok then
  io.stderr:write('gradls e2e FAILED: ' .. tostring(err) .. '\n')
  vim.cmd('cquit 1')
else
  io.stdout:write('gradls e2e passed (' .. MODE .. ')\n')
  vim.cmd('qall!')
end
