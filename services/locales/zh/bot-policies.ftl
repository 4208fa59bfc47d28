## Yearly policies (administrators)

cmd-desc-policies = 年度政策（管理员）
pol-not-admin = 抱歉，只有管理员可以查看和启用年度政策。
pol-title = 📋 年度政策
pol-line = · { $year } 年度：{ $state }
pol-line-source = · { $year } 年度：{ $state }，{ $source }
pol-state-active = 已启用
pol-state-draft = 草稿
pol-state-demo = 演示（自动生成，非正式通知）
pol-none = 还没有任何年度政策。
pol-no-current = { $year } 年度政策尚未启用：机器人按上一年度规则显示，并继续办理上一年度的补学和专业科目登记。
pol-pick = 可以检查下面的草稿，检查通过后即可启用：
pol-no-drafts = 目前没有待启用的草稿。新草稿请在命令行生成：cebot policy new 年度
pol-check-button = 检查 { $year } 年度草稿
pol-check-ok = ✅ { $year } 年度政策检查通过：政策文件、必修课程、题库和选修课均已就绪。
pol-activate-button = 启用 { $year } 年度政策
pol-check-problems = { $year } 年度政策还不能启用，请先解决：
pol-more = ……另有 { $count } 项问题，请运行 cebot policy check 查看全部。
pol-activated = ✅ { $year } 年度政策已启用。
pol-refused-exists = { $year } 年度的政策文件已存在。
pol-refused-no_source = 没有可以复制的更早年度政策。
pol-refused-not_found = 没有找到 { $year } 年度的政策文件。
pol-refused-already_active = { $year } 年度政策已经是启用状态。
pol-refused-invalid = { $year } 年度政策未通过检查，不能启用。请重新检查。
pol-refused-bad_year = 年度应在 2000 到 2100 之间。
