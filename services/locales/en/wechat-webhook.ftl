# WeChat adapter (bot/wechat/webhook.py, bot/wechat/screens.py)
wechat-choose = Reply with a number ({ $numbers }):
wechat-stale-number = That number is not one of the current choices (it may be from an earlier message). Please reply with one of these:
wechat-processing = Received, working on it…
wechat-unsupported = I can read text, numbers and photos; voice, video, locations and links I cannot read yet.
wechat-cannot-delete = WeChat does not let the account delete your messages. To protect your ID number, please long-press the message you just sent and choose "Delete".
wechat-deferred = { $text }
wechat-no-contact = (WeChat cannot share your phone number: please do this step in Telegram, or go on with the choices below.)
wechat-number-as-text = If your answer is itself a number from 1 to { $count }, add its unit, for example "2学时".
