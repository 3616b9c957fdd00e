/**
 * How users phrase requests for each need, in English and Chinese. `{slot}` placeholders
 * are filled from SLOTS. `shifted` phrasings are the new vocabulary of the
 * vocabulary-shift scenario: same intents, words the production model never saw.
 */
export interface Phrasings {
  en: readonly string[];
  zh: readonly string[];
  shiftedEn: readonly string[];
  shiftedZh: readonly string[];
}

export const SLOTS: Record<string, readonly string[]> = {
  doc: ['report', 'contract', 'research paper', 'article', 'transcript', 'PDF', 'proposal', 'policy document'],
  docZh: ['报告', '合同', '论文', '文章', '文字记录', 'PDF 文件', '方案', '政策文件'],
  person: ['my manager', 'a customer', 'the team', 'a supplier', 'our investors', 'a recruiter'],
  personZh: ['我的经理', '客户', '团队', '供应商', '投资人', '招聘官'],
  lang: ['Spanish', 'German', 'Japanese', 'French', 'Chinese', 'English'],
  langZh: ['西班牙语', '德语', '日语', '法语', '中文', '英文'],
  code: ['Python function', 'SQL query', 'TypeScript class', 'regex', 'unit test', 'bash script'],
  codeZh: ['Python 函数', 'SQL 查询', 'TypeScript 类', '正则表达式', '单元测试', 'Shell 脚本'],
  data: ['sales spreadsheet', 'survey results', 'churn numbers', 'revenue by region', 'CSV export', 'budget sheet'],
  dataZh: ['销售表格', '调查结果', '流失数据', '各地区收入', 'CSV 导出', '预算表'],
  meeting: ['standup', 'board meeting', 'client call', 'planning session', 'retro', 'sales review'],
  meetingZh: ['站会', '董事会', '客户电话会', '规划会', '复盘会', '销售评审会'],
  topic: ['vacation policy', 'expense limits', 'onboarding steps', 'security guidelines', 'pricing tiers', 'VPN setup'],
  topicZh: ['休假政策', '报销额度', '入职流程', '安全规范', '价格档位', 'VPN 设置'],
  task: ['send the weekly report', 'file new invoices', 'update the CRM', 'triage support tickets', 'post release notes', 'sync the calendar'],
  taskZh: ['发送周报', '归档新发票', '更新 CRM', '分派工单', '发布版本说明', '同步日历'],
  trigger: ['email', 'invoice', 'support ticket', 'form submission', 'pull request', 'order'],
  triggerZh: ['邮件', '发票', '工单', '表单提交', '合并请求', '订单'],
  period: ['Monday', 'day', 'week', 'month', 'morning', 'quarter'],
  periodZh: ['周一', '天', '周', '月', '早上', '季度'],
};

export const PHRASINGS: Record<string, Phrasings> = {
  summarize_documents: {
    en: ['summarize this {doc}', 'give me a short summary of the {doc}', 'what are the key points of this {doc}', 'condense the {doc} into five bullet points', 'summarize the attached {doc} for {person}', 'can you shorten this long {doc}'],
    zh: ['总结一下这份{docZh}', '帮我概括这篇{docZh}的要点', '把这份{docZh}压缩成五条要点', '这份{docZh}的主要内容是什么', '给{personZh}写一份{docZh}摘要'],
    shiftedEn: ['tl;dr this {doc}', 'boil the {doc} down for me', 'give me the gist of this {doc}', 'quick recap of the {doc} pls', 'cliff notes for the {doc}'],
    shiftedZh: ['这份{docZh}划个重点', '{docZh}太长不看，给个精华版', '一句话说清这份{docZh}', '帮我提炼{docZh}干货'],
  },
  draft_email: {
    en: ['write an email to {person} about the delay', 'draft a polite reply to {person}', 'help me write a follow-up email to {person}', 'compose a thank you message for {person}', 'draft an email asking {person} for feedback', 'rewrite my email to {person} to sound more professional'],
    zh: ['帮我给{personZh}写一封邮件', '起草一封回复{personZh}的邮件', '写一封感谢{personZh}的信', '帮我把给{personZh}的邮件改得更正式', '给{personZh}写封跟进邮件'],
    shiftedEn: ['shoot {person} a quick note', 'ping {person} that we slipped a week', 'whip up a reply to {person}', 'something to send {person} re: the slip'],
    shiftedZh: ['给{personZh}发个消息说一声', '帮我回{personZh}几句', '整一段话发给{personZh}', '给{personZh}递个话'],
  },
  translate_text: {
    en: ['translate this paragraph into {lang}', 'how do you say this in {lang}', 'translate the {doc} to {lang}', 'convert this text from {lang} to English', 'give me a {lang} translation of this message'],
    zh: ['把这段话翻译成{langZh}', '这句话用{langZh}怎么说', '把这份{docZh}翻译成{langZh}', '帮我翻译成{langZh}', '请把这条消息译成{langZh}'],
    shiftedEn: ['put this in {lang}', 'what is this in {lang}', 'make this readable for {lang} speakers', 'render the {doc} in {lang}'],
    shiftedZh: ['这段换成{langZh}', '用{langZh}讲一遍', '转成{langZh}版本', '{langZh}版本来一份'],
  },
  code_help: {
    en: ['fix the bug in this {code}', 'write a {code} that parses dates', 'why does my {code} throw an error', 'refactor this {code} to be faster', 'explain what this {code} does', 'add error handling to my {code}'],
    zh: ['帮我修复这个{codeZh}的错误', '写一个解析日期的{codeZh}', '为什么我的{codeZh}报错', '优化这个{codeZh}的性能', '解释一下这段{codeZh}'],
    shiftedEn: ['my {code} is borked', 'this {code} keeps blowing up', 'make this {code} not suck', 'sanity check my {code}'],
    shiftedZh: ['这个{codeZh}崩了', '{codeZh}跑不通求救', '帮我看看{codeZh}哪里有坑', '{codeZh}又挂了'],
  },
  analyze_data: {
    en: ['analyze this {data} and find trends', 'make a chart of the {data}', 'what is the average in the {data}', 'find outliers in the {data}', 'compare last quarter with this quarter in the {data}', 'build a pivot table from the {data}'],
    zh: ['分析这份{dataZh}的趋势', '把{dataZh}做成图表', '计算{dataZh}的平均值', '找出{dataZh}里的异常值', '对比{dataZh}上季度和本季度'],
    shiftedEn: ['crunch the {data}', 'slice and dice the {data}', 'what story does the {data} tell', 'eyeball the {data} for weirdness'],
    shiftedZh: ['跑一下{dataZh}', '{dataZh}盘一盘', '{dataZh}看出什么门道', '把{dataZh}拆开看看'],
  },
  meeting_notes: {
    en: ['take notes for the {meeting}', 'list the action items from the {meeting}', 'who agreed to what in the {meeting}', 'write minutes for the {meeting}', 'send a recap of decisions from the {meeting}'],
    zh: ['整理{meetingZh}的会议纪要', '列出{meetingZh}的待办事项', '{meetingZh}上谁负责什么', '写一份{meetingZh}的会议记录', '总结{meetingZh}做出的决定'],
    shiftedEn: ['who owns what after the {meeting}', 'next steps out of the {meeting}', 'the {meeting} takeaways please', 'log the {meeting}'],
    shiftedZh: ['{meetingZh}之后谁跟进', '{meetingZh}落了哪些事', '{meetingZh}要点记一下', '{meetingZh}复盘一下分工'],
  },
  search_knowledge: {
    en: ['where can I find our {topic}', 'what is the company {topic}', 'search the wiki for {topic}', 'find the latest document about {topic}', 'who knows about the {topic}'],
    zh: ['公司的{topicZh}在哪里', '查一下{topicZh}', '在知识库里搜索{topicZh}', '找到最新的{topicZh}文档', '谁了解{topicZh}'],
    shiftedEn: ['dig up the {topic}', 'is there a page on {topic}', 'what does the intranet say on {topic}', 'point me to {topic}'],
    shiftedZh: ['翻一下{topicZh}', '内网上{topicZh}怎么说', '{topicZh}有没有资料', '{topicZh}去哪看'],
  },
  privacy_control: {
    en: ['delete my chat history', 'do not use my data for training', 'who can see my conversations', 'turn off data sharing for my account', 'export all the data you store about me'],
    zh: ['删除我的聊天记录', '不要用我的数据训练模型', '谁能看到我的对话', '关闭我账户的数据共享', '导出你们存储的我的所有数据'],
    shiftedEn: ['wipe everything I typed', 'opt me out of training', 'nuke my history', 'keep my chats off your servers'],
    shiftedZh: ['把我说过的全清掉', '我的内容别拿去训练', '记录一键清空', '聊天别存服务器'],
  },
  trust_answers: {
    en: ['cite your sources for this answer', 'is this answer accurate', 'show me where this fact comes from', 'double check this claim', 'give me references for that statement'],
    zh: ['请给出这个回答的来源', '这个回答准确吗', '这个事实出自哪里', '帮我核实一下这个说法', '给出这句话的参考文献'],
    shiftedEn: ['receipts for that?', 'are you making this up', 'prove it with links', 'is that legit'],
    shiftedZh: ['有出处吗', '别瞎编', '拿链接说话', '这靠谱吗'],
  },
  lower_cost: {
    en: ['how much does the pro plan cost', 'downgrade my plan to save money', 'is there a cheaper plan', 'why is my bill so high this month', 'do you offer a discount for students'],
    zh: ['专业版多少钱', '把我的套餐降级以省钱', '有没有更便宜的套餐', '为什么这个月账单这么高', '学生有折扣吗'],
    shiftedEn: ['this is too pricey', 'any promo codes', 'cut my spend', 'cheapest way to keep using this'],
    shiftedZh: ['太贵了吧', '有优惠码吗', '帮我省点钱', '最省钱的用法'],
  },
  energy_efficiency: {
    en: ['how much energy does this query use', 'switch to a low carbon mode', 'what is the carbon footprint of my usage', 'use a smaller model to save energy', 'show the emissions report for my team'],
    zh: ['这个查询耗多少电', '切换到低碳模式', '我的使用碳足迹是多少', '用更小的模型来节能', '显示我团队的排放报告'],
    shiftedEn: ['go green mode', 'eco toggle on', 'how dirty is this compute', 'lighter model please, planet first'],
    shiftedZh: ['开个绿色模式', '环保开关打开', '这算力污染大吗', '换个轻量模型环保点'],
  },
  automate_workflows: {
    en: ['set up an automation to {task} every {period}', 'create an agent that will {task}', 'when a new {trigger} arrives automatically {task}', 'build a workflow to {task} without me', 'schedule a bot to {task} each {period}', 'chain these steps so it can {task} on its own'],
    zh: ['设置一个自动化，每{periodZh}{taskZh}', '创建一个智能体来{taskZh}', '收到新{triggerZh}时自动{taskZh}', '搭一个工作流自动{taskZh}', '让机器人每{periodZh}自动{taskZh}'],
    shiftedEn: ['put {task} on autopilot', 'agent to {task} hands-free'],
    shiftedZh: ['{taskZh}全自动', '让代理{taskZh}'],
  },
};

/** The feature of the product where each need is usually asked for. */
export const FEATURE_OF: Record<string, string> = {
  summarize_documents: 'docs',
  draft_email: 'email',
  translate_text: 'translate',
  code_help: 'code',
  analyze_data: 'sheets',
  meeting_notes: 'meetings',
  search_knowledge: 'search',
  privacy_control: 'settings',
  trust_answers: 'chat',
  lower_cost: 'billing',
  energy_efficiency: 'settings',
  automate_workflows: 'automations',
};

export const FEATURES = ['chat', 'docs', 'email', 'translate', 'code', 'sheets', 'meetings', 'search', 'settings', 'billing', 'automations'] as const;

/** What users write in survey comments, by sentiment; `{need}` is the need's label. */
export const COMMENTS = {
  en: {
    good: ['{need} works really well for me', 'I love how fast {need} is', '{need} saves me hours every week', 'Great job on {need}'],
    bad: ['{need} is often wrong', 'Please improve {need}, it is frustrating', '{need} is too slow and unreliable', 'I gave up on {need} after a few tries'],
    wish: ['I wish I could {need} more easily', 'Would pay more for better {need}', 'Missing: a way to {need}'],
  },
  zh: {
    good: ['{need}非常好用', '{need}速度很快，很满意', '{need}每周帮我省下好几个小时', '{need}做得很棒'],
    bad: ['{need}经常出错', '请改进{need}，体验很差', '{need}又慢又不稳定', '{need}试了几次就放弃了'],
    wish: ['希望{need}能更方便', '愿意为更好的{need}多付费', '缺少{need}的功能'],
  },
} as const;
