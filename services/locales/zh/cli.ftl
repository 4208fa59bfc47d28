## Command line (cebot): messages for administrators and organisers

cli-error = 错误：{ $message }
cli-internal-error = 内部错误（{ $kind }）。请设置 CEBOT_DEBUG=1 后重试以查看详情。
cli-db-upgraded = 数据库已升级到最新版本（{ $revision }）。
cli-db-current = 数据库版本：{ $current }；最新版本：{ $head }。
cli-db-not-migrated = 数据库尚未升级（当前 { $current }，最新 { $head }）。请先运行：cebot db upgrade
cli-db-unreachable = 无法连接数据库 { $url }：{ $kind }
cli-import-done = 已导入 { $file }：共 { $rows } 行，新增 { $added } 条，更新 { $updated } 条，未变 { $unchanged } 条，新建人员 { $people }。
cli-import-rejected = { $file } 有 { $count } 行有误，未导入任何数据：
cli-import-row = 第 { $line } 行：{ $reason }
cli-import-file = 无法读取 { $file }：{ $reason }
cli-demo-done = 演示数据已就绪：{ $units } 个单位、{ $people } 名人员、{ $hours } 条学时记录（本次新增 { $added } 条）。
cli-progress-not-found = 未找到该身份证号对应的人员。
cli-progress-no-policy = { $year } 年度没有学习政策文件。
cli-progress-title = { $name }（{ $masked }）{ $year } 年度
cli-progress-line = { $label }：{ $value }
cli-progress-complete = 已完成本年度学习要求
cli-progress-incomplete = 未完成：还需专业科目 { $needed } 学时（已审验）
cli-no-token =
    尚未设置 Telegram 机器人令牌，现在打开控制台对话（演示数据）。
    要连接 Telegram：向 @BotFather 申请令牌，在项目目录的 .env 文件中写入：
        TELEGRAM_BOT_TOKEN=123456:ABC...
    然后再次运行同一命令。全部设置见 .env.example。
cli-web-pages = 网页（证书验证、隐私告知）：{ $url }
cli-port-in-use = 端口已被其他程序占用
cli-web-unavailable = 无法在 { $address } 提供网页（{ $reason }），证书二维码和隐私告知的链接暂时打不开；可在 .env 中设置其他 CEBOT_LISTEN_PORT。
cli-port-busy = 无法在 { $address } 提供网页（{ $reason }）：请在 .env 中设置其他 CEBOT_LISTEN_PORT，或先停止占用该端口的程序。

import-bad-empty = 缺少必填内容（{ $columns }）
import-bad-id-length = 身份证号应为18位
import-bad-id-format = 身份证号格式不正确
import-bad-id-checksum = 身份证号校验位不正确
import-bad-id-birth_date = 身份证号中的出生日期无效
import-bad-id-region = 身份证号的地区代码无效
import-bad-unit-length = 单位代码应为18位
import-bad-unit-format = 单位代码含有无效字符
import-bad-unit-checksum = 单位代码校验位不正确
import-bad-unknown-unit = 单位代码 { $code } 未登记，请先导入单位
import-bad-duplicate = 与第 { $other } 行重复
import-bad-name-mismatch = 姓名与系统中该身份证号的姓名不一致
import-bad-phone = 手机号不是有效的大陆手机号码（以 1 开头的 11 位数字）
import-bad-name-differs = 姓名与第 { $other } 行同一身份证号的姓名不一致
import-bad-subject = 科目“{ $value }”无效（应为 专业科目、公需必修 或 公需选修）
import-bad-year = 年度“{ $value }”没有学习政策
import-bad-hours-format = 学时“{ $value }”不是数字
import-bad-hours-not_half = 学时“{ $value }”应为0.5的整数倍
import-bad-hours-non_positive = 学时必须大于0
import-bad-date = 完成日期“{ $value }”无效（应为 YYYY-MM-DD）
import-bad-outside_year = 完成日期不在 { $year } 年度内（不能跨年登记）
import-bad-above_max = 学时超过单条记录上限 { $max }
import-bad-public_hours = 公需科目学时应为 { $expected }
import-bad-source = 请用 --source 指明学时来源
import-bad-source-text = 学时来源名称最多 { $max } 个字，且不能含控制字符
import-bad-text-control = { $column } 含有不允许的字符 { $char }（控制字符或方向控制符），请删除后重试
import-bad-text-too_long = { $column } 超过 { $max } 个字
import-bad-text-formula = { $column } 不能以 = + - @ 开头（电子表格会把它当作公式）
cli-import-more = ……以及另外 { $count } 行有误（请先改正以上各行）
cli-import-raced = 同一文件的另一次导入先完成了，本次未写入任何数据；请再运行一次（已导入的行不会重复计入）。

table-encoding = 文件编码无法识别（请使用 UTF-8 或 GB18030）
table-unreadable = 文件无法读取或已损坏
table-file_type = 不支持的文件类型 { $suffix }（请使用 .csv 或 .xlsx）
table-missing_file = 文件不存在：{ $path }
table-empty = 文件为空
table-missing_columns = 缺少列：{ $columns }
table-inflated = 文件解压后有 { $mb } MB，超过上限 { $max_mb } MB（可能已损坏，或远超行数上限），请拆分后分批导入
table-too_many_rows = 文件超过 { $max } 行的上限，请拆分后分批导入
table-too_many_columns = 表格超过 { $max } 列，不是导入用的表格
table-cell_too_long = 第 { $line } 行有一个单元格超过 { $max } 个字，请检查该行
table-json_depth = JSON 嵌套层数过多，无法读取
table-timeout = 读取超过 { $seconds } 秒仍未完成，请拆分后分批导入

progress-public-mandatory = 公需必修课学时
progress-public-elective = 公需选修课学时
progress-professional-verified = 专业科目已审验学时
progress-professional-pending = 专业科目待审验学时
progress-total = 总学时

cli-invite-role = 角色应为 reviewer（单位审验）、organiser（培训组织单位）或 admin（管理员）。
cli-invite-unknown-unit = 单位代码 { $code } 未登记。
cli-invite-needs = { $role } 邀请需要 --unit（审验人员）或 --source（培训组织单位）。
cli-invite-done = 已生成 { $role } 邀请（一次有效，{ $expires } 前使用）：{ $link }

## Policies

cli-policy-none = 还没有任何年度政策文件。
cli-policy-line = { $year } 年度：{ $state }（{ $file }）
cli-policy-active = 已启用
cli-policy-draft = 草稿
cli-policy-demo = 演示（自动生成，非正式通知）
cli-policy-None = 无法读取
cli-policy-drafted = 已生成 { $year } 年度政策草稿：{ $file }
    请按新通知填写主题、来源和日期，导入课程与题库后运行：cebot policy check { $year }
cli-policy-problems = { $year } 年度政策还不能启用，请先解决以下问题：
cli-policy-ok = { $year } 年度政策检查通过（当前状态：{ $state }）。
cli-policy-activated = { $year } 年度政策已启用。
cli-policy-exists = { $year } 年度的政策文件已存在，不会覆盖。
cli-policy-no_source = 没有可以复制的更早年度政策，请用 --from 指定年度。
cli-policy-not_found = 没有找到 { $year } 年度的政策文件。
cli-policy-already_active = { $year } 年度政策已经是启用状态。
cli-policy-invalid = { $year } 年度政策还不能启用：
cli-policy-bad_year = 年度应在 2000 到 2100 之间。
cli-keys-no-previous = 请先把旧密钥放入 CEBOT_PREVIOUS_SECRET_KEYS，新密钥放入 CEBOT_SECRET_KEY，再运行本命令。
cli-keys-rotated = 密钥轮换完成：共 { $people } 人，重新加密 { $changed } 人。确认无误后可删除 CEBOT_PREVIOUS_SECRET_KEYS。

## Doctor

cli-doctor-token-ok = TELEGRAM_BOT_TOKEN 已设置。
cli-doctor-token-warn = 未设置 TELEGRAM_BOT_TOKEN：只能使用终端聊天（cebot chat）。向 @BotFather 申请后写入 .env。
cli-doctor-secret-ok = CEBOT_SECRET_KEY 已设置。
cli-doctor-secret-warn = 未设置 CEBOT_SECRET_KEY，正在使用自动生成的 { $path }：请备份它，丢失后已保存的身份证号无法解密。
cli-doctor-secret-fail = PostgreSQL 部署必须设置 CEBOT_SECRET_KEY（所有进程共用同一个密钥）。
cli-doctor-webhook-fail = CEBOT_PUBLIC_URL 是 https 地址，但未设置 CEBOT_WEBHOOK_SECRET：请设置一个随机字符串。
cli-doctor-webhook-ok = CEBOT_WEBHOOK_SECRET 已设置，字符符合 Telegram 的要求。
cli-doctor-webhook-chars-fail = CEBOT_WEBHOOK_SECRET 只能由 1 到 256 个 A-Z、a-z、0-9、_ 和 - 组成（Telegram 拒绝其他字符，webhook 将无法注册）。可以这样生成：python3 -c 'import secrets; print(secrets.token_urlsafe(48))'
cli-doctor-secret-weak-fail = CEBOT_SECRET_KEY 强度不够（约 { $bits } 位，至少需要 { $need } 位，即 32 个随机字节）。可以这样生成：python3 -c 'import secrets; print(secrets.token_urlsafe(48))'（以后更换需运行 cebot keys rotate）。
cli-doctor-publicurl-ok = CEBOT_PUBLIC_URL 是 https 地址：{ $url }
cli-doctor-publicurl-warn = CEBOT_PUBLIC_URL 是 { $url }：本机的 http 地址只适合试用，手机打不开证书链接，Telegram 也无法推送 webhook。正式部署请使用 https://。
cli-doctor-publicurl-fail = CEBOT_PUBLIC_URL 必须以 https:// 开头（当前为 { $url }）：Telegram 只向 https 推送 webhook，证书二维码也指向这里。http:// 仅限本机（localhost）试用。
cli-doctor-migration-warn = 数据库版本 { $current } 比本程序的 { $head } 更新（已由新版本升级）：请更新本安装（git pull、bin/setup）。
cli-doctor-datadir-ok = 数据目录可写：{ $path }
cli-doctor-datadir-fail = 数据目录 { $path } 不可写（{ $error }）：请检查权限或 CEBOT_DATA_DIR。
cli-doctor-database-ok = 数据库可以连接。
cli-doctor-database-fail = 无法连接数据库（{ $error }）：请检查 CEBOT_DATABASE_URL 和数据库服务。
cli-doctor-migration-ok = 数据库版本为最新（{ $current }）。
cli-doctor-migration-fail = 数据库版本 { $current } 落后于程序需要的 { $head }：请运行 cebot db upgrade。
cli-doctor-policy-ok = { $year } 年度政策已启用。
cli-doctor-policy-demo-ok = { $year } 年度使用演示政策（自动生成，非正式通知）。
cli-doctor-policy-warn = { $year } 年度政策尚未启用：机器人会按上一年度规则显示。新通知发布后运行 cebot policy new { $year }。
cli-doctor-policy-load-fail = 政策文件无法读取（{ $error }）：请运行 cebot policy list 查看。
cli-doctor-fonts-ok = 已安装中文字体。
cli-doctor-fonts-fail = 没有找到中文字体：请安装 fonts-noto-cjk（apt install fonts-noto-cjk），否则证书无法显示中文。
cli-doctor-harfbuzz-ok = 已安装 libharfbuzz-subset（证书约 0.3 秒生成一份）。
cli-doctor-harfbuzz-fail = 没有 libharfbuzz-subset：每份证书要约 26 秒。请安装：apt install libharfbuzz-subset0。
cli-doctor-botapi-ok = Bot API 可以访问，机器人：@{ $username }。
cli-doctor-botapi-warn = 未设置令牌，跳过 Bot API 检查。
cli-doctor-botapi-fail = 无法访问 Bot API（{ $error }）：请检查令牌、TELEGRAM_BASE_URL 和网络。
cli-doctor-summary = 检查完成：{ $failed } 项需要修复，{ $warned } 项提醒。
cli-backup-done = 备份已写入：{ $path }（{ $size }）。
cli-backup-data = 数据目录已归档：{ $path }
cli-backup-key-apart = 未设置 CEBOT_SECRET_KEY：密钥文件 { $path } 不在备份中（拿到备份的人不应同时拿到身份证号的密钥）。请把它另外保存一份，与备份分开存放：没有它，恢复的数据库无法读取。
cli-backup-pruned = 已删除 { $count } 个较早的备份文件（保留最新的 { $keep } 份）。
cli-backup-no-pg-dump = 没有安装 { $tool }（PostgreSQL 备份需要它）：请 apt install postgresql-client，版本不低于服务器的主版本。
cli-backup-tool-failed = { $tool } 执行失败：{ $error }
cli-backup-not-written = 备份无法写入 { $folder }（{ $error }）；之前的备份未受影响。请腾出空间，或用 --to 指定其他目录。
cli-backup-not-empty = 数据库 { $url } 不是空的：备份只能恢复到新的空数据库（createdb …，或在 CEBOT_DATABASE_URL 中指定新的 SQLite 文件）。未做任何改动。
cli-backup-wrong-kind = { $file } 是 { $kind } 备份，但 CEBOT_DATABASE_URL（{ $url }）是另一种数据库。
cli-backup-not-a-backup = { $file } 不是 cebot 的备份（应为 cebot-….sqlite3 或 cebot-….dump）。
cli-backup-missing = 文件不存在：{ $file }
cli-restore-confirm = 确认把 { $file } 恢复到 { $url } 吗？
cli-restore-done = 恢复完成，数据库版本为 { $revision }。接下来：把数据归档解压到 CEBOT_DATA_DIR（tar -xzf …-data.tar.gz -C <目录>），放回密钥，运行 cebot doctor。
cli-restore-old = 恢复完成，数据库版本 { $revision } 早于本程序：请运行 cebot db upgrade，把数据归档解压到 CEBOT_DATA_DIR，放回密钥，再运行 cebot doctor。
cli-demo-synthetic = 已生成合成数据：{ $units } 个单位、{ $people } 人（{ $accounts } 个聊天账号）、{ $records } 条学时记录。
