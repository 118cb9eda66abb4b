-- gradls: PyTorch gradient-flow checker (https://github.com/gradls/gradls)
--
-- Neovim 0.11+: put this repository's `lsp/` folder on 'runtimepath' (or copy this file to
-- ~/.config/nvim/lsp/gradls.lua), then
--
--     vim.lsp.enable('gradls')
--
-- Override anything with vim.lsp.config('gradls', { ... }), e.g. a specific interpreter:
--
--     vim.lsp.config('gradls', { cmd = { '/path/to/venv/bin/python', '-m', 'gradls', 'serve' } })
--
-- Settings (all optional; unset keys fall back to [tool.gradls] in pyproject.toml):
--   enable (bool), select / ignore (lists of rule codes or prefixes such as "GRD1"),
--   severity ({ GRD105 = "warning" }), shadow = { device = "auto"|"cpu"|"cuda",
--   worker = "ssh gpu-box python -m gradls.shadow.worker", timeout = 60 }.
-- They go in `init_options.settings` (read at start) and `settings.gradls` (sent on
-- workspace/didChangeConfiguration and answered to workspace/configuration).

---@type vim.lsp.Config
return {
  cmd = { 'gradls', 'serve' },
  filetypes = { 'python' },
  root_markers = { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', '.git' },
  init_options = { settings = vim.empty_dict() },
  settings = { gradls = vim.empty_dict() },
}
