## Administration: spot checks (spot-), people, roles, the audit log and reopened claims (adm-),
## in the bot and on the command line

cmd-desc-spot = 抽查已审验的学时（管理员、审计员）
cmd-desc-people = 人员、单位调动与权限（管理员）

## ---------------------------------------------------------------- spot checks

spot-not-allowed = 抽查只对管理员和审计员开放。
spot-home-admin = 🔍 抽查：可以新建抽样，或打开已有的抽查。
spot-home-auditor = 🔍 分配给您的抽查：
spot-none = 还没有抽查。
spot-no-years = 目前没有已启用的年度政策，无法抽查。
spot-button-new = 🎲 新建抽样
spot-button-draw = 打开抽查 #{ $id }
spot-button-open = 🔍 打开抽查
spot-button-draw-now = 🎲 抽取
spot-button-later = 稍后分配
spot-button-check = ▶️ 开始核查（待核查 { $open } 条）
spot-button-assign = 👤 分配审计员
spot-button-home = 🔍 全部抽查
spot-button-confirm = ✅ 属实
spot-button-revoke = ❌ 撤销学时
spot-button-skip = ⏭ 下一条
spot-button-stop = ⏸ 暂停
spot-button-back-item = ↩️ 返回这条登记

spot-ask-year = 🎲 抽查哪一年度已审验通过的专业科目登记？
spot-ask-scope = 在 { $year } 年度的哪个范围内抽样？可以选全区或地市，也可以输入单位名称或统一社会信用代码。
spot-unit-none = 没有找到这个单位，请换个关键词，或输入统一社会信用代码。
spot-unit-pick = 请选择单位：
spot-ask-size = { $year } 年度 · { $scope }：共有 { $population } 条已审验通过的登记。抽取多少条？可选数量或比例，也可以输入数量（如 15）或比例（如 8%）。
spot-size-invalid = 请输入 1 至 1000 之间的数量，或 0% 至 100% 之间的比例（如 8%）。
spot-ask-confirm = 将从 { $year } 年度 · { $scope } 的 { $population } 条登记中随机抽取 { $amount }。随机种子会与抽样结果一并保存，可随时复核。确认抽取吗？
spot-drawn = 🎲 已抽取。
spot-ask-auditor = 请选择负责核查的审计员：
spot-no-auditors = 目前没有审计员。可在“人员与权限”中为账号授予审计员权限，然后再分配。
spot-assigned = 抽查 #{ $id } 已分配给 { $auditor }。
spot-all-marked = ✅ 抽查 #{ $id } 的所有登记都已核查完毕。
spot-draw-done = 抽查 #{ $id } 已全部核查完毕。

spot-scope-province = 全区
spot-scope-city = { $city }
spot-scope-unit = { $unit } { $code }
spot-no-auditor = 未分配
spot-status-open = 进行中
spot-status-done = 已完成
spot-draw-line = #{ $id } · { $year } 年度 · { $scope } · 抽取 { $size }/{ $population } 条 · 待核查 { $open }，属实 { $confirmed }，撤销 { $revoked } · 审计员：{ $auditor } · { $status }
spot-draw-seed = 随机种子 { $seed }；总体 { $population } 条（指纹 { $digest }）；样本 { $size } 条。用同一种子对同一总体抽样，结果相同。

spot-item-title = 🔍 抽查 #{ $id } 第 { $seq }/{ $size } 条
spot-item-person = 人员：{ $name }（{ $masked }）
spot-item-unit = 登记单位：{ $unit }
spot-item-claim = { $year } 年度 · { $title } · { $organiser } · { $hours } 学时
spot-item-dates = 学习时间：{ $start } 至 { $end }
spot-item-approved = 审验通过：{ $by }，{ $at }
spot-item-evidence = 证明材料 { $count } 份（见上方文件）。
spot-evidence-caption = 证明材料 { $n }/{ $count }（登记 #{ $id }）
spot-evidence-missing = 证明材料 { $n } 的文件缺失，请联系技术支持。
spot-item-line = { $seq }. 条目 #{ $item } · 登记 #{ $record } · { $name }（{ $masked }）· { $unit } · { $title } · { $hours } 学时 · { $outcome }

spot-ask-reason = 撤销的理由是什么？请选择常见理由，或直接输入。
spot-reason-evidence_false = 证明材料不真实
spot-reason-not_attended = 未实际参加学习
spot-reason-hours_overstated = 学时多报
spot-reason-not_professional = 不属于专业科目学习
spot-reason-outside_year = 学习时间不在登记年度内
spot-reason-duplicate = 与其他学时重复
spot-void-reason = 抽样后该登记已变更（现为 { $status }），不再核查
spot-outcome-open = 待核查
spot-outcome-confirmed = 属实
spot-outcome-revoked = 已撤销
spot-outcome-void = 已作废
spot-outcome-reason = （{ $reason }）

spot-marked-confirmed = ✅ 已确认属实。
spot-marked-revoked-short = 已撤销这条学时
spot-marked-revoked = ❌ 已撤销“{ $title }”的学时（{ $reason }），不再计入。已通知本人 { $person } 个账号、单位审验人 { $reviewers } 人。
spot-marked-void = 这条登记在抽样后已变更，已从抽查中作废：{ $reason }。
spot-already = 这条登记已被 { $by } 核查：{ $outcome }。
spot-cert-revoked = 证书 { $number } 不再符合条件，已撤销。
spot-told = 已通知本人 { $person } 个账号、单位审验人 { $reviewers } 人。
spot-cli-outcome = 核查结果只能是 confirm（属实）或 revoke（撤销）。

spot-notice-assigned = 🔍 您有一项新的抽查任务：#{ $check }，{ $year } 年度，共 { $size } 条登记待核查。
spot-notice-revoked =
    ❌ 经抽查，您 { $year } 年度登记的专业科目学时“{ $title }”（{ $hours } 学时）已被撤销，不再计入。理由：{ $reason ->
        [evidence_false] 证明材料不真实
        [not_attended] 未实际参加学习
        [hours_overstated] 学时多报
        [not_professional] 不属于专业科目学习
        [outside_year] 学习时间不在登记年度内
        [duplicate] 与其他学时重复
       *[other] { $reason }
    }。如有异议，请联系所在单位或服务中心 0771-966111。
spot-notice-revoked-unit =
    ❌ 抽查结果：{ $name }（{ $masked }）{ $year } 年度登记的“{ $title }”（{ $hours } 学时）经本单位审验通过，现已被撤销。理由：{ $reason ->
        [evidence_false] 证明材料不真实
        [not_attended] 未实际参加学习
        [hours_overstated] 学时多报
        [not_professional] 不属于专业科目学习
        [outside_year] 学习时间不在登记年度内
        [duplicate] 与其他学时重复
       *[other] { $reason }
    }。请核实本单位的审验工作。

spot-refused-not_admin = 只有管理员可以进行这项操作。
spot-refused-not_auditor = 您不是审计员，或审计员权限已被撤销。
spot-refused-not_assigned = 抽查 #{ $check } 没有分配给您。
spot-refused-auditor_account = 账号 #{ $account } 没有审计员权限，不能分配抽查。
spot-refused-no_policy = { $year } 年度没有已启用的政策，无法抽查。
spot-refused-size_or_share = 请给出抽取数量或抽取比例（二者选一）。
spot-refused-size = 抽取数量应在 1 至 { $max } 之间。
spot-refused-share = 抽取比例应大于 0%，不超过 100%（如 10%、0.1 或 1/10）。
spot-refused-seed = 随机种子应为非负整数。
spot-refused-unknown_unit = 没有找到单位：{ $code }
spot-refused-empty = 这个范围内没有 { $year } 年度已审验通过的登记，无法抽样。
spot-refused-not_found = 没有找到这项抽查。
spot-refused-closed = 抽查 #{ $check } 已完成，不能再分配。
spot-refused-reason_required = 撤销学时必须说明理由：请选择常见理由或输入理由。
spot-refused-reason_too_long = 理由过长（最多 { $max } 个字）。
spot-refused-own_claim = 不能核查本人的登记。
spot-refused-own_decision = 这条登记是您审验通过的，请由其他审计员核查。
spot-refused-busy = 操作繁忙，请稍后重试。

## ---------------------------------------------------------------- people and roles

adm-ask-find = 👥 查找人员：输入姓名、身份证号后四位、姓名加后四位，或完整身份证号（消息会自动删除，仅用于查找）。查找账号请输入 #编号。
adm-button-staff = 🛡 查看所有授权人员
adm-find-none = 没有找到符合条件的人员。请换个写法再试。
adm-find-pick = 找到 { $count } 人，请选择：
adm-staff-title = 🛡 当前授权：
adm-role-short = · { $role }：{ $who }（账号 #{ $account }）{ $scope }
adm-role-line = #{ $id } · { $role } · 账号 #{ $account } { $who } · { $scope } · { $granted } 由 { $by } 授予{ $withdrawn }
adm-role-withdrawn-at = ，{ $at } 收回
adm-no-unit = （无单位）

adm-person-title = 👤 { $name }（{ $masked }）
adm-person-unit = 单位：{ $unit }（{ $code }）
adm-person-unconfirmed = 本人自选单位，单位尚未确认。
adm-person-unbound = 没有绑定的账号。
adm-person-account = 绑定账号：#{ $account }（{ $name }）
adm-account-title = 账号 #{ $account }（{ $name }）
adm-account-unbound = 这个账号没有绑定人员。
adm-button-move = 🏢 调动单位
adm-button-claims = 📄 已审验的登记
adm-button-roles = 🛡 权限
adm-button-unbind = 🔓 解除绑定
adm-button-unbind-yes = 确认解除
adm-button-find = 🔎 查找其他人员
adm-button-cancel = 取消
adm-button-back = ↩️ 返回

adm-ask-unit = 调往哪个单位？请输入单位名称或统一社会信用代码。已登记的学时仍属于登记时的单位。
adm-unit-none = 没有找到这个单位，请换个关键词，或输入统一社会信用代码。
adm-unit-pick = 请选择单位：
adm-moved = { $name }（{ $masked }）已从 { $old } 调到 { $new }。
adm-moved-short = 已调动
adm-moved-pending = 还有 { $count } 条待审验的登记，仍由原单位审验。

adm-ask-unbind = 解除后，这个账号不再绑定此人（人员和学时都保留，本人可重新绑定）。确认解除吗？
adm-unbound = 已解除 { $name }（{ $masked }）与账号 #{ $account } 的绑定。
adm-unbound-short = 已解除绑定

adm-roles-title = 🛡 账号 #{ $account }（{ $name }）的权限：
adm-roles-none = 没有任何权限。
adm-button-withdraw = ✖ 收回{ $role }
adm-button-grant = ＋ { $role }
adm-ask-grant-unit = 审验哪个单位？请选择，或输入单位名称或统一社会信用代码。
adm-ask-grant-source = 培训组织单位的名称是什么（导入学时时的来源）？请输入。
adm-role-granted = ✅ 已授予权限。
adm-role-already = 已有这项权限，无需重复授予。
adm-role-withdrawn = ✅ 已收回权限。
adm-role-already-withdrawn = 这项权限已经收回。

adm-claims-title = 📄 已审验的登记（管理员可以重新打开，交由单位重新审验）：
adm-claims-none = 此人没有已审验的登记。
adm-claim-line = #{ $id } · { $year } 年度 · { $title } · { $hours } 学时 · { $status }
adm-button-reopen = ↩️ 重新打开 #{ $id }
adm-ask-reopen-reason = 请输入重新打开登记 #{ $id } 的理由（记入日志并告知本人）：
adm-reopened = ↩️ 登记 #{ $id }“{ $title }”已从“{ $previous }”重新打开，等待单位重新审验。
adm-reopened-short = 已重新打开
adm-status-approved = 审验通过
adm-status-rejected = 未通过
adm-status-pending = 待审验
adm-status-revoked = 已撤销
adm-status-withdrawn = 已撤回

adm-notice-moved = 🏢 管理员已将您调到 { $unit }。此前登记的学时仍按原单位审验和计入。
adm-notice-unbound = 🔓 管理员已解除您的账号与身份信息的绑定。如需继续使用，请发送 /start 重新绑定。
adm-notice-role-granted = 🛡 您获得了{ $role ->
        [reviewer] 单位人事审验员
        [organiser] 培训组织单位
        [admin] 管理员
        [auditor] 审计员
       *[other] { $role }
    }权限。发送 /menu 查看。
adm-notice-role-withdrawn = 🛡 您的{ $role ->
        [reviewer] 单位人事审验员
        [organiser] 培训组织单位
        [admin] 管理员
        [auditor] 审计员
       *[other] { $role }
    }权限已被收回。
adm-notice-reopened = ↩️ 管理员重新打开了您 { $year } 年度的登记“{ $title }”，将由单位重新审验。理由：{ $reason }

adm-refused-not_admin = 只有管理员可以进行这项操作。
adm-refused-not_found = 没有找到此人。
adm-refused-account_not_found = 没有找到账号 #{ $account }。
adm-refused-unknown_unit = 没有找到单位：{ $code }
adm-refused-same_unit = 此人已经在 { $unit }。
adm-refused-not_bound = { $name } 没有绑定的账号。
adm-refused-role = 未知的权限：{ $role }（可选：{ $roles }）。
adm-refused-role_needs_unit = 授予审验人权限时必须指定单位。
adm-refused-role_needs_source = 授予培训组织单位权限时必须给出来源名称。
adm-refused-role_not_found = 没有找到权限 #{ $role_id }。
adm-refused-last_admin = 这是最后一个管理员权限，不能收回。请先为其他账号授予管理员权限。
adm-refused-reason_required = 请说明理由。
adm-refused-reason_too_long = 内容过长（最多 { $max } 个字）。
adm-refused-busy = 操作繁忙，请稍后重试。

adm-cli-account-or-person = 请用 --account 或 --person 指定一个账号（二者选一）。
adm-cli-bad-date = 日期格式不对：{ $value }（应为 YYYY-MM-DD）。
adm-cli-bad-range = 开始日期晚于结束日期。
adm-audit-none = 没有符合条件的日志。
