## 公需科目：课程、考试、补学补考、内容导入

content-import-done = 已导入 { $file }：共 { $rows } 条，新增 { $added } 条，更新 { $updated } 条，未变 { $unchanged } 条。
exam-reopened = 已为 { $year } 年度重新开放考试：增加 { $extra } 次机会（现剩 { $left } 次）。
exam-reopened-request = 待处理的补学补考申请已批准。
exam-reopened-told = 已通过机器人通知本人（{ $accounts } 个账号），消息会在发送时段内送达。
exam-reopened-not-told = 本人还没有在机器人中绑定账号，没有发出通知，请另行告知。
exam-not-found = 未找到该身份证号对应的人员。
exam-no-policy = { $year } 年度没有学习政策文件。

table-json = 第 { $line } 行不是有效的 JSON：{ $message }

import-bad-q-not-object = 每一项应为 JSON 对象
import-bad-q-kind = 题型“{ $value }”无效（single 单选、multiple 多选或 truefalse 判断）
import-bad-q-too-long = { $column } 超过 { $max } 个字符
import-bad-q-topic = “{ $value }”不是 { $year } 年度的选修课专题
import-bad-q-options-gap = 选项应从 option_a 起连续填写，中间不能空缺
import-bad-q-truefalse-options = 判断题应有两个选项（或不填选项）
import-bad-q-options-few = 选择题至少需要两个选项
import-bad-q-answer-single = 答案“{ $value }”应为一个选项字母
import-bad-q-answer-multiple = 答案“{ $value }”应为选项字母，如 AC
import-bad-q-answer-truefalse = 答案“{ $value }”应为 对/错 或 true/false
import-bad-q-no-rows = 文件中没有任何内容
import-bad-q-course = 本年度尚未导入课程“{ $value }”，请先导入课程
import-bad-q-course-topic = 专题与课程“{ $value }”的专题不一致
import-bad-c-kind = 课程类型“{ $value }”无效（mandatory 必修或 elective 选修）
import-bad-c-mandatory-topic = 必修课不设专题
import-bad-c-chapters = 课程需要章节列表
import-bad-c-chapter = 第 { $number } 章需要标题和正文，媒体（可选）应为列表
import-bad-c-mandatory-twice = { $year } 年度出现第二门必修课
import-bad-c-mandatory-exists = 该年度已有必修课 { $code }

study-refused-closed = 目前不在公需科目学习期内。
study-refused-already_done = 您已完成 { $year } 年度的该项学习。
study-refused-no_course = { $year } 年度的课程尚未上线。
study-refused-not_found = 该课程、章节或考试已不存在。
study-refused-locked = 请按顺序学习各章节。
study-refused-not_ready = 请先学完全部章节。
study-refused-bad_answer = 该答案不适用于本题。
study-refused-busy = 当前请求较多，请稍后重试。
study-refused-course_unfinished = 学完 { $year } 年度必修课全部章节后才能参加考试。
study-refused-no_attempts_left = { $allowed } 次考试机会已用完，可以申请补学补考。
study-refused-not_enough_questions = 题库尚未准备好（现有 { $available } 题）。
study-refused-not_yours = 这不是您的考试。
study-refused-finished = 本次考试已经结束。
study-refused-expired = 本次考试已超时，计为已使用一次机会。
study-refused-stale = 该按钮已过期，以下是当前题目。
study-refused-attempts_remain = 您还有 { $left } 次考试机会，机会用完后才能申请补学补考。
study-refused-not_admin = 只有管理员可以执行此操作。
