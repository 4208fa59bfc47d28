## 公需科目：学习与考试（bot/flows/study.py）

cmd-desc-study = 公需科目学习与考试
cmd-desc-exam = 继续或开始必修课考试

stu-not-bound = 请先绑定身份，再学习公需科目。
stu-refused = ⚠️ { $reason }
stu-refused-other = 暂时无法办理，请稍后再试。

# 学习概况
stu-home-title = 📚 { $year } 年度公需科目
stu-home-makeup = 🔁 您正在补学补考 { $year } 年度的公需科目，通过后学时计入 { $year } 年度。
stu-home-mandatory-passed = ✅ 必修课考试已通过，{ $hours } 学时已计入。
stu-home-course = · 必修课《{ $title }》：已学 { $read } / { $count } 章（学完并通过考试得 { $hours } 学时）
stu-home-exam = · 考试：每次 { $questions } 题，{ $mark }% 及格；已用 { $used } / { $allowed } 次，还剩 { $left } 次
stu-home-exam-locked = · 学完全部章节后即可参加考试。
stu-home-exam-open = · 考试已开放。开始后请在 { $limit }内交卷，否则视为放弃并计为一次。
stu-home-exam-in-progress = · 您有一场考试正在进行（开始后 { $limit }内有效），可从上次的题目继续。
stu-home-no-attempts = · 考试机会已用完。可以申请补学补考，管理员同意后将增加 { $extra } 次机会。
stu-home-remedial-pending = · 您的补学补考申请正在等待管理员审核，审核后会通知您。
stu-home-electives-year = · 选修课按 { $year } 年度计：
stu-home-electives = · 选修课：已完成 { $done } / { $total } 门（全部完成得 { $hours } 学时）
stu-home-electives-credited = ✅ 选修课 { $hours } 学时已计入。

stu-btn-read = 📖 继续学习（第 { $number } 章）
stu-btn-reread = 📖 重温必修课
stu-btn-start = 📝 开始考试（第 { $number } 次）
stu-btn-resume = 📝 继续考试
stu-btn-remedial = 🙋 申请补学补考
stu-btn-electives = 📚 选修课
stu-btn-back-study = ↩ 返回学习概况
stu-btn-back-electives = ↩ 返回选修课列表
stu-btn-chapter-next = ✅ 已读完，下一章
stu-btn-chapter-last = ✅ 已读完本课程
stu-btn-chapter-prev = ⬅ 上一章
stu-btn-pause = ⏸ 稍后继续
stu-btn-submit = 📮 交卷
stu-btn-approve = ✅ 同意补学补考
stu-btn-decline = ✖ 不同意

stu-limit-hours = { $hours } 小时
stu-limit-minutes = { $minutes } 分钟

# 章节
stu-chapter-head = 📖《{ $course }》第 { $seq } / { $count } 章：{ $title }
stu-media-link = 🔗 { $caption }：{ $url }
stu-media-image = 🖼 { $caption }：{ $url }
stu-media-link-plain = 🔗 { $url }
stu-media-image-plain = 🖼 { $url }
stu-course-done = 🎉 《{ $title }》的全部章节已学完，考试已开放。

# 题目
stu-q-head = 📝 第 { $number } / { $total } 题（{ $kind }）
stu-check-head = 📝 《{ $course }》小测验 第 { $number } / { $total } 题（{ $kind }）
stu-kind-single = 单选题
stu-kind-multiple = 多选题
stu-kind-truefalse = 判断题
stu-q-multiple-hint = 点选全部正确的选项（再点一次取消），然后点“提交本题”。
stu-q-send = 📨 提交本题
stu-q-pick-one = 请至少选择一个选项。
stu-q-already = 这道题已经作答过了，请看最新的题目。

# 考试
stu-exam-intro = 📝 第 { $number } 次考试（共 { $allowed } 次机会）：{ $questions } 道题，答对 { $mark }% 及格。点击按钮作答，答案提交后不能修改；请在 { $limit }内交卷，否则视为放弃并计为一次。
stu-exam-makeup = 🔁 这是 { $year } 年度的补考，通过后学时计入 { $year } 年度。
stu-exam-all-answered = 全部 { $total } 题已作答。点击“交卷”查看成绩。
stu-exam-paused = ⏸ 考试已暂停，进度已保存。请在 { $limit }内（从开始时算起）回来交卷，可从“学习与考试”或 /exam 继续。
stu-exam-ended = 这次考试已经结束（已交卷或已超时），以下是最新情况。

stu-result-already = 这次考试已交过卷，结果如下（不会重复计次）：
stu-result-score = 第 { $number } 次考试成绩：答对 { $correct } / { $total } 题（{ $percent }%），及格线 { $mark }%。
stu-result-passed = 🎉 恭喜，考试通过！
stu-result-hours = ✅ 必修课 { $hours } 学时已计入 { $year } 年度。
stu-result-hours-makeup = ✅ 补考通过：必修课 { $hours } 学时已计入 { $year } 年度（补学年度）。
stu-result-failed = 很遗憾，本次考试未通过。
stu-result-left = 您还有 { $left } 次考试机会，可以复习后再考。
stu-result-none-left = 考试机会已用完。您可以申请补学补考，管理员同意后将重新开放考试。

# 补学补考
stu-remedial-sent = 📮 补学补考申请已提交（{ $year } 年度）。管理员审核同意后，将为您增加 { $extra } 次考试机会，届时会通知您；在此期间可以继续复习必修课。
stu-remedial-pending = 您的 { $year } 年度补学补考申请已在审核中，请耐心等待通知。
stu-remedial-admin = 📮 补学补考申请：{ $name }（{ $masked }）的 { $year } 年度必修课考试机会已用完，申请补学补考。同意后将增加 { $extra } 次考试机会。
stu-remedial-done-approved = ✅ 已同意该补学补考申请（{ $year } 年度），已增加 { $extra } 次考试机会，并已通知本人。
stu-remedial-done-declined = 已拒绝该补学补考申请（{ $year } 年度），并已通知本人。
stu-remedial-was-approved = 该申请（{ $year } 年度）已由其他管理员同意，无需再处理。
stu-remedial-was-declined = 该申请（{ $year } 年度）已由其他管理员拒绝，无需再处理。
stu-remedial-approved = ✅ 您的 { $year } 年度补学补考申请已通过：增加 { $extra } 次考试机会（现有 { $left } 次）。复习后即可在“学习与考试”中参加考试。
stu-remedial-declined = 您的 { $year } 年度补学补考申请未获同意。如有疑问，请联系服务中心 0771-966111。

# 选修课
stu-el-title = 📚 { $year } 年度选修课：已完成 { $done } / { $total } 门，全部完成得 { $hours } 学时
stu-el-makeup = 🔁 这是 { $year } 年度的补学，完成后学时计入 { $year } 年度。
stu-el-none = { $year } 年度的选修课尚未上线。
stu-el-topic = 【{ $topic }】
stu-el-no-topic = 其他
stu-el-how = 每门课学完全部内容并通过小测验即完成。点击课程开始学习：
stu-el-course-done = ✅ 选修课《{ $title }》已完成。
stu-el-remaining = 还有 { $left } 门选修课未完成，全部完成后计入 { $hours } 学时。
stu-el-all-done = 🎉 全部选修课已完成，{ $hours } 学时已计入 { $year } 年度。
stu-el-all-done-makeup = 🎉 全部选修课已完成，{ $hours } 学时已计入 { $year } 年度（补学年度）。
stu-check-intro = 《{ $title }》已学完，请完成 { $count } 道小测验题。
stu-check-passed = ✅ 小测验通过（答对 { $correct } / { $total } 题），《{ $title }》已完成。
stu-check-failed = 小测验答对 { $correct } / { $total } 题，未达到 { $mark }%。可以重温课程后再测一次。
stu-check-changed = 小测验的题目已更新，请重新开始。
stu-check-again = 请从选修课列表重新开始这门课的小测验。

# 我的学时
stu-prog-line = · 公需科目学习：{ $details }
stu-prog-sep = ；
stu-prog-exam = 考试机会剩余 { $left } / { $allowed } 次
stu-prog-electives = 选修课已完成 { $done } / { $total } 门

# Issue 17: make-up electives, re-reading after a failed check, stale buttons, reopened exams
stu-home-electives-year-done = ✅ { $year } 年度选修课 { $hours } 学时已计入。
stu-el-next = { $year } 年度的选修课已经开放，可以接着学习。
stu-btn-electives-year = 📚 { $year } 年度选修课
stu-el-check-ready = 《{ $title }》的全部章节已读完，还需要通过小测验。可以先重温课程，也可以直接开始小测验。
stu-el-retry = 《{ $title }》还没有完成。
stu-btn-reread-elective = 📖 重温课程（从第 1 章）
stu-btn-check = 📝 开始小测验
stu-btn-check-again = 📝 再测一次
stu-stale-study = ⚠️ 这个按钮已过期（来自较早的消息）。以下是您现在的学习情况：
stu-stale-electives = ⚠️ 这个按钮已过期（来自较早的消息）。以下是您现在的选修课：
stu-stale-exam = ⚠️ 这个按钮已过期（来自较早的消息）。您的考试仍在进行，这是当前的题目：
stu-stale-exam-ended = ⚠️ 这个按钮已过期：那次考试已经结束（已交卷或已超时）。以下是最新情况：
stu-stale-exam-passed = ⚠️ 这个按钮已过期：您已通过 { $year } 年度的必修课考试，无需再考。
stu-stale-no-attempts = ⚠️ 这个按钮已过期：{ $year } 年度的 { $used } 次考试机会已经用完，不能再开始考试。可以点击下方“申请补学补考”，管理员同意后将增加 { $extra } 次机会。
stu-stale-no-attempts-pending = ⚠️ 这个按钮已过期：{ $year } 年度的 { $used } 次考试机会已经用完。您的补学补考申请正在等待管理员审核，审核后会通知您。
stu-remedial-reopened = ✅ 管理员已为您开放 { $year } 年度必修课的补学补考：增加 { $extra } 次考试机会（现有 { $left } 次）。复习后即可在“学习与考试”中参加考试。
