# WeChat service account: the custom menu (bot/wechat/menu.py), `cebot wechat` (cebot/cli_wechat.py)
# and the WeChat checks of `cebot doctor` (cebot/doctor_wechat.py)
wechat-menu-study = 学时
wechat-menu-mine = 我的
wechat-menu-help = 帮助
wechat-menu-cmd-study = 公需科目学习
wechat-menu-cmd-mydata = 我的数据
wechat-menu-cmd-exam = 必修课考试

cli-wechat-not-configured = 未设置 WECHAT_APP_ID：没有配置微信公众号（见 .env.example）。
cli-wechat-api-error = 微信接口返回错误 { $errcode }：{ $errmsg }
cli-wechat-unreachable = 无法访问微信接口（{ $error }）：请检查 WECHAT_API_BASE_URL 和网络。
cli-wechat-menu-too-large = 菜单超出微信的限制：{ $problem }
cli-wechat-menu-pushed = 已更新公众号菜单：{ $buttons } 个一级菜单，{ $items } 个子菜单。微信客户端可能要几分钟后才显示新菜单。
cli-wechat-token-none = { $app_id } 还没有保存 access_token：机器人第一次调用微信接口时会获取。
cli-wechat-token-valid = { $app_id } 的 access_token 有效，{ $expires }（北京时间）到期，还有 { $minutes } 分钟；到期前 5 分钟自动更新。
cli-wechat-token-expired = { $app_id } 的 access_token 已于 { $expires }（北京时间）过期：下一次调用微信接口时会重新获取。
cli-wechat-token-refreshing = 进程 { $worker } 正在获取新的 access_token。

cli-doctor-wechat-appid-ok = WECHAT_APP_ID 已设置：{ $app_id }
cli-doctor-wechat-appid-warn = WECHAT_APP_ID（{ $app_id }）看起来不像公众号的 AppID（wx 加 16 位十六进制字符）：请在公众平台“设置与开发 → 基本配置”中核对。
cli-doctor-wechat-secret-ok = WECHAT_APP_SECRET 已设置。
cli-doctor-wechat-secret-warn = WECHAT_APP_SECRET 不是 32 位字母和数字：请在公众平台“基本配置”中核对 AppSecret。
cli-doctor-wechat-secret-fail = 设置了 WECHAT_APP_ID，但没有设置 WECHAT_APP_SECRET：请从公众平台“基本配置”复制 AppSecret。
cli-doctor-wechat-token-ok = WECHAT_TOKEN 已设置，符合微信的要求。
cli-doctor-wechat-token-fail = WECHAT_TOKEN 必须是 3 到 32 位英文字母或数字（与公众平台“服务器配置”中的令牌 Token 一致），否则无法验证消息来自微信。
cli-doctor-wechat-aeskey-ok = WECHAT_ENCODING_AES_KEY 已设置（43 位）。
cli-doctor-wechat-aeskey-fail = WECHAT_ENCODING_AES_KEY 必须是 43 位字母和数字（公众平台“服务器配置”中的 EncodingAESKey），当前的无法使用。
cli-doctor-wechat-aeskey-missing-fail = 消息加解密方式为 { $mode }，需要 WECHAT_ENCODING_AES_KEY：请从公众平台“服务器配置”复制 EncodingAESKey。
cli-doctor-wechat-mode-ok = 消息加解密方式：{ $mode }。
cli-doctor-wechat-mode-warn = 消息加解密方式为明文（plain）：用户发送的身份证号将不加密地传给本服务器。建议改为安全模式（WECHAT_MESSAGE_MODE=safe，公众平台同步修改）。
cli-doctor-wechat-mode-fail = WECHAT_MESSAGE_MODE 只能是 plain、compatible 或 safe（当前为 { $mode }）。
cli-doctor-wechat-originalid-ok = 公众号原始 ID：{ $original_id }
cli-doctor-wechat-originalid-warn = 未设置 WECHAT_ORIGINAL_ID：请填写公众号的原始 ID（gh_ 开头，在公众平台“设置与开发 → 公众号设置”中），用来核对消息是发给本公众号的。
cli-doctor-wechat-originalid-fail = WECHAT_ORIGINAL_ID（{ $original_id }）格式不对：应为 gh_ 加 12 位十六进制字符。
cli-doctor-wechat-url-ok = 公众平台“服务器配置”的服务器地址（URL）：{ $url }
cli-doctor-wechat-url-warn = 服务器地址 { $url } 是本机地址：微信服务器无法访问，只适合用模拟器试用。正式部署请把 CEBOT_PUBLIC_URL 设为公网地址。
cli-doctor-wechat-url-fail = 服务器地址 { $url } 无法使用：微信只向 80 端口（http）或 443 端口（https）推送消息。请修改 CEBOT_PUBLIC_URL。
cli-doctor-wechat-templates-fail = WECHAT_TEMPLATES 有误：{ $reason }（格式见 .env.example）。
cli-doctor-wechat-api-ok = 微信接口可以访问，access_token 有效（微信服务器 IP { $ips } 个）。
cli-doctor-wechat-api-fail = 微信接口检查失败（{ $error }）：请检查 AppID、AppSecret、公众平台的 IP 白名单和 WECHAT_API_BASE_URL。
