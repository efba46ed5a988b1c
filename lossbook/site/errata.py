"""The seed articles' errors that the book corrects (CATALOG §E): the one source of each erratum.

Each :class:`Erratum` holds the seed file, the severity (W wrong, M misleading, C code bug), the
catalog entries it concerns (the chapter that corrects it is found through the registry), the
claims quoted from the seed (Chinese) and the correction (MyST Markdown, from the catalog). The
appendix (``chapters/errata.ipynb``, :func:`lossbook.site.pages.errata_markdown`) shows all of
it; a chapter's "what the seeds get wrong" table (:func:`lossbook.site.pages.errata_table`)
shows the one-line ``summary`` and ``gist`` of the same record.
"""
from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Erratum", "ERRATA", "SEEDS", "SOURCES", "SEVERITY", "erratum", "errata_of_entry"]


#: Seed file -> (name, description). The book names a seed by its file's number: "seed 001".
SEEDS = {
    "000_ecbfcace9d022f32.txt": ("seed 000", "51CTO, 神经网络中的损失函数"),
    "001_f7c8dc85b772d469.txt": ("seed 001", "鹤啸九天, 机器学习: 损失函数"),
    "002_8d17fd0c9496c2f4.txt": ("seed 002", "Zhihu, 数学 · 神经网络(三)· 损失函数"),
    "003_07f23b3fb9ed378a.txt": ("seed 003", "Notes: loss summary and Center Loss"),
    "004_95267161cf8e9e84.txt": ("seed 004", "Aliyun, 深度学习常见的损失函数"),
}

#: Seed file -> (title, site, date, BibTeX key): the sources table of the preface
#: (``chapters/preface.md``, checked against this by ``tests/test_website.py``) and the
#: entries of ``references.bib``. Dates are those the saved copies state.
SOURCES = {
    "000_ecbfcace9d022f32.txt": ("神经网络中的损失函数", "51CTO (from the account 半吊子全栈工匠)",
                                 "not stated", "seed000"),
    "001_f7c8dc85b772d469.txt": ("机器学习: 损失函数 (The Loss Function in Machine Learning)",
                                 "鹤啸九天's blog", "2020-08-01, updated to 2023", "seed001"),
    "002_8d17fd0c9496c2f4.txt": ("数学 · 神经网络(三)· 损失函数", "Zhihu (a cnblogs repost of 2021-06-18)",
                                 "2017-05-02 (last edit)", "seed002"),
    "003_07f23b3fb9ed378a.txt": ("深度学习中的损失函数总结以及Center Loss函数笔记",
                                 "a tutorial site (not named in the copy)", "2022-05-03", "seed003"),
    "004_95267161cf8e9e84.txt": ("深度学习常见的损失函数", "Aliyun developer community",
                                 "not stated", "seed004"),
}

#: Severity letter -> what it means.
SEVERITY = {"W": "wrong", "M": "misleading or imprecise", "C": "code bug"}


@dataclass(frozen=True)
class Erratum:
    """One error of a seed article and its correction.

    ``summary`` and ``gist`` are the claim and the correction in one line each (English,
    MyST Markdown), for the table of the chapter that corrects it; errata that no chapter
    tabulates leave them empty.
    """

    id: str
    seed: str
    severity: str
    entries: tuple[str, ...]
    claims: tuple[str, ...]
    correction: str
    chapter: str = ""  # for errata that no catalog entry carries
    summary: str = ""
    gist: str = ""

    def __post_init__(self):
        for field in ("summary", "gist"):
            if "\n" in getattr(self, field):
                raise ValueError(f"{self.id}: {field} must be one line (it fills a table cell)")


ERRATA = (
    Erratum('ER1', '000_ecbfcace9d022f32.txt', 'M', ('B1', 'B4'),
            ('交叉熵…刻画了两个概率分布之间的距离',),
            '"交叉熵…刻画了两个概率分布之间的距离". CE is not a distance: $H(p,q)=H(p)+D_{KL}(p\\Vert q)$, so $H(p,p)=H(p)\\ne0$ and it is asymmetric. KL is a divergence, not a metric.',
            summary='cross-entropy is the distance between two distributions',
            gist='$H(p,q)=H(p)+D_{KL}(p\\Vert q)$: $H(p,p)=H(p)\\ne0$, asymmetric; KL is a divergence, not a metric.'),
    Erratum('ER2', '000_ecbfcace9d022f32.txt', 'W', ('H6',),
            ('验证输入的一段语音是否属于一个特定**音箱**的任务',),
            '"验证输入的一段语音是否属于一个特定**音箱**的任务". This is a mistranslation of "speaker"; it should be 说话人.'),
    Erratum('ER3', '000_ecbfcace9d022f32.txt', 'W', ('I2',),
            ('InfoNCE 代表噪声对比估计', '将N个样本分到K个类中'),
            '"InfoNCE 代表噪声对比估计". NCE is *noise-contrastive estimation*. InfoNCE is an NCE-style categorical loss whose minimisation maximises the mutual-information lower bound $\\log N-L_N$. Also, "将N个样本分到K个类中" is garbled: InfoNCE is an N-way classification that identifies the one positive among N candidates.'),
    Erratum('ER4', '000_ecbfcace9d022f32.txt', 'W', ('E1',),
            ('平均绝对误差(Mean **Average** Error,MAE)',),
            '"平均绝对误差(Mean **Average** Error,MAE)". It is Mean **Absolute** Error.',
            summary='"Mean **Average** Error"',
            gist='Mean **Absolute** Error.'),
    Erratum('ER5', '000_ecbfcace9d022f32.txt', 'W', ('E2',),
            ('平均偏差(MBE)…其损失范围也是0到∞',),
            '"平均偏差(MBE)…其损失范围也是0到∞". MBE is signed, with range $(-\\infty,\\infty)$; errors cancel, so it is not a training loss.',
            summary='MBE ranges over $[0,\\infty)$',
            gist='MBE is signed, $(-\\infty,\\infty)$; errors cancel; not a training loss.'),
    Erratum('ER6', '000_ecbfcace9d022f32.txt', 'W', ('E1',),
            ("L1不受离群值的影响…另外,其收敛速度快,能够对梯度给予合适的惩罚权重,而不是'一视同仁'", '一视同仁'),
            '"L1不受离群值的影响…另外,其收敛速度快,能够对梯度给予合适的惩罚权重,而不是\'一视同仁\'". L1 is *less* sensitive to outliers (bounded influence) but not unaffected. Its gradient magnitude is **constant** (sign), which is exactly "一视同仁", and it converges slowly or oscillates near the optimum with a fixed learning rate. The error-proportional gradient described belongs to L2.',
            summary='L1 is unaffected by outliers, converges fast, and weights gradients by the error',
            gist='Less sensitive, not unaffected (the median moves); its gradient magnitude is constant, so fixed-step descent oscillates.'),
    Erratum('ER7', '000_ecbfcace9d022f32.txt', 'W', ('E8',),
            ('Huber Loss…也被称作 Smooth Mean Absolute Error Loss(Smooth L1 损失)',),
            '"Huber Loss…也被称作 Smooth Mean Absolute Error Loss(Smooth L1 损失)". $\\mathrm{Huber}_\\delta=\\delta\\cdot\\mathrm{SmoothL1}_{\\beta=\\delta}$; the two coincide only for δ = β = 1. PyTorch has two different functions, `huber_loss` and `smooth_l1_loss`.',
            summary='Huber is "Smooth L1"',
            gist='$\\mathrm{Huber}_\\delta=\\delta\\cdot\\mathrm{SmoothL1}_{\\beta=\\delta}$; equal only for $\\delta=\\beta=1$.'),
    Erratum('ER8', '000_ecbfcace9d022f32.txt', 'M', ('E3',),
            ('L2…是比 L1更优先的损失函数', '损失函数越小,一般就代表模型的鲁棒性越好'),
            '"L2…是比 L1更优先的损失函数" is subjective. "损失函数越小,一般就代表模型的鲁棒性越好" is wrong: a lower training loss does not imply robustness (overfitting).',
            summary='L2 is preferable to L1; a lower loss means a more robust model',
            gist='Subjective; a lower *training* loss says nothing about robustness (overfitting).'),
    Erratum('ER9', '000_ecbfcace9d022f32.txt', 'M', ('H2',),
            (),
            'The triplet formula image is lost. State both conventions: FaceNet uses squared distances with α = 0.2; PyTorch uses non-squared distances with margin 1.0.'),
    Erratum('ER10', '000_ecbfcace9d022f32.txt', 'M', ('H3', 'I2', 'I3'),
            ('Margin Ranking Loss…也应用于对抗网络中',),
            'Reference list:\n* "Multiple Negative Ranking Loss, arXiv 1705.00652" is Henderson et al., "Efficient Natural Language Response Suggestion for Smart Reply" (the name "MNRL" comes from sentence-transformers).\n* "Contrastive Predictive Coding" is titled "Representation Learning with Contrastive Predictive Coding".\n* The margin-ranking reference is a niche KGE derivative, not the origin.\n* "Margin Ranking Loss…也应用于对抗网络中" is unsupported.'),
    Erratum('ER13', '001_f7c8dc85b772d469.txt', 'W', (),
            ('分类损失(预测数量)和回归损失(预测标签)',),
            '"分类损失(预测数量)和回归损失(预测标签)". Swapped: regression predicts quantities, classification predicts labels.',
            chapter='margin_losses',
            summary='classification losses predict quantities, regression losses labels',
            gist='swapped: classification predicts labels (margin $yf$), regression quantities (residual $y-f$).'),
    Erratum('ER14', '001_f7c8dc85b772d469.txt', 'WC', ('A2',),
            (),
            'Sigmoid "y(x)=1/(1+exp^(1x))" should be $1/(1+e^{-x})$. The plotting code `g=lambda z:1/(1+np.exp(-x))` uses the global `x`, and `np.linspace(start,stop,num)` with a float `num` raises `TypeError` on NumPy ≥ 1.18 (verified).',
            summary='the sigmoid is "y(x)=1/(1+exp^(1x))"; its plotting code `g=lambda z:1/(1+np.exp(-x))` with `np.linspace(start, stop, num)`',
            gist='$\\sigma(x)=1/(1+e^{-x})$. The lambda ignores its argument and uses the global `x`, and `np.linspace` with the float `num=(stop-start)/step` raises `TypeError` on NumPy ≥ 1.18.'),
    Erratum('ER15', '001_f7c8dc85b772d469.txt', 'M', ('A3',),
            ('tanh函数是sigmoid函数向下平移和收缩后的结果',),
            '"tanh函数是sigmoid函数向下平移和收缩后的结果". In fact $\\tanh x=2\\sigma(2x)-1$: compressed horizontally by ½, **stretched** vertically by 2, then shifted down by 1.',
            summary='tanh is the sigmoid "shifted down and shrunk" (向下平移和收缩)',
            gist='$\\tanh x=2\\sigma(2x)-1$: compressed horizontally by ½, **stretched** vertically by 2, shifted down by 1.'),
    Erratum('ER16', '001_f7c8dc85b772d469.txt', 'W', ('A14', 'A17', 'A18'),
            ('所有激活函数的导数值都是严格或不严格的大于零', '单调性…能够保证单层网络是凸函数'),
            '"所有激活函数的导数值都是严格或不严格的大于零". False: Swish/SiLU ($x<-1.278$), GELU ($x<-0.752$) and Mish ($x<-1.192$) have negative derivatives. The Swish section of the same article says Swish is non-monotone. "单调性…能够保证单层网络是凸函数" is misleading: e.g. sigmoid+MSE is non-convex in the weights.',
            summary='"所有激活函数的导数值都是严格或不严格的大于零" (every activation\'s derivative is $\\ge0$); monotonicity makes a one-layer network convex',
            gist='False: SiLU ($x<-1.278$), GELU ($x<-0.752$) and Mish ($x<-1.192$) decrease there. And monotone activations do not make training convex (sigmoid + MSE is non-convex in the weights).'),
    Erratum('ER17', '001_f7c8dc85b772d469.txt', 'M', ('A5',),
            (),
            'Leaky ReLU: the text says slope 0.1, the code uses 0.01. PyTorch defaults to 0.01; Keras layers default to 0.3.',
            summary="Leaky ReLU's slope is 0.1 (text); the code uses 0.01",
            gist="PyTorch's default is 0.01 (also Maas et al.); the Keras layer's is 0.3."),
    Erratum('ER18', '001_f7c8dc85b772d469.txt', 'W', ('A6',),
            ('引入了一个随机的超参数alpha,它可以被学习',),
            'PReLU "引入了一个随机的超参数alpha,它可以被学习". α is a learned *parameter*, neither random nor a hyperparameter. Random slopes are RReLU.',
            summary='PReLU introduces a *random hyper-parameter* α that can be learned',
            gist='α is a learned parameter, neither random nor a hyper-parameter; RReLU is the random one.'),
    Erratum('ER19', '001_f7c8dc85b772d469.txt', 'M', ('A13',),
            ('当 为0时,退化为ReLU',),
            'Maxout "当 为0时,退化为ReLU" is garbled. Correct statement: with k = 2 and the second affine piece fixed to 0, maxout equals ReLU of the first piece.',
            summary='maxout "当 为0时,退化为ReLU"',
            gist='With $k=2$ and the second affine piece fixed to 0, maxout is the ReLU of the first piece.'),
    Erratum('ER20', '001_f7c8dc85b772d469.txt', 'M', ('A14',),
            ('为 0 时具备单侧有界',),
            'Swish "为 0 时具备单侧有界" is garbled. Swish is bounded below (min ≈ −0.2785), unbounded above, smooth and non-monotone.',
            summary='"Swish 函数为 0 时具备单侧有界"',
            gist='Swish is bounded below (minimum $\\approx-0.2785$ for $\\beta=1$), unbounded above, smooth and non-monotone.'),
    Erratum('ER21', '001_f7c8dc85b772d469.txt', 'M', ('A10',),
            ('Softsign的导数相比tanh计算要更麻烦一点',),
            '"Softsign的导数相比tanh计算要更麻烦一点". $1/(1+|x|)^2$ is cheap; there is no real cost difference.',
            summary="softsign's derivative is more troublesome to compute than tanh's",
            gist='$1/(1+\\lvert x\\rvert)^2$ needs no exponential.'),
    Erratum('ER22', '001_f7c8dc85b772d469.txt', 'C', ('A7',),
            (),
            "The softmax code does `x -= np.max(x…)`. It mutates a caller's float ndarray in place (verified) and works on a Python list only because of numpy's reflected subtraction."),
    Erratum('ER23', '001_f7c8dc85b772d469.txt', 'WC', ('B2',),
            ('以位表示', 'Cross-Entropy 根据预测的置信度对模型进行惩罚,而 KL Divergence 则不会'),
            'The `KLDivLoss` example uses `input=torch.randn`, `target=torch.randn`. `input` must be log-probabilities and `target` probabilities (unless `log_target=True`); with negative targets the loss is meaningless or NaN. "以位表示": PyTorch uses nats. "Cross-Entropy 根据预测的置信度对模型进行惩罚,而 KL Divergence 则不会" is misleading: for a fixed target, CE and KL differ by the constant $H(p)$ and have identical gradients. Also, `reduction=\'mean\'` is not the mathematical KL; use `batchmean`.',
            summary='`KLDivLoss(torch.randn, torch.randn)`, "in bits", CE penalises confidence but KL does not',
            gist='`input` is $\\log q$, `target` is $p$; nats; CE and KL differ by the constant $H(p)$ and have the same gradient; use `batchmean`.'),
    Erratum('ER24', '001_f7c8dc85b772d469.txt', 'W', ('C3', 'C6'),
            (),
            '`nn.HingeEmbeddingLoss` is presented as "Hinge loss". It computes $x$ (y = 1) or $\\max(0,\\Delta-x)$ (y = −1) on a *distance*, not the SVM hinge $\\max(0,1-yf)$. Use `(1-y*f).clamp(min=0)` or `MultiMarginLoss`.',
            summary='`nn.HingeEmbeddingLoss` is the hinge loss',
            gist='it is $x$ for $y=1$ and $\\max(0,\\Delta-x)$ for $y=-1$, on a distance; the SVM hinge is $\\max(0,1-yf)$.'),
    Erratum('ER25', '001_f7c8dc85b772d469.txt', 'W', ('B3', 'B4'),
            ('NLL 仅适用于以 softmax 函数作为输出激活层的模型', '与负对数似然损失(NLL)不同,交叉熵惩罚不正确但置信度高的预测,以及正确但置信度较低的预测', 'BCE…Pytorch 中的默认损失函数'),
            '"NLL 仅适用于以 softmax 函数作为输出激活层的模型". NLLLoss expects **log**-probabilities (LogSoftmax); feeding it softmax outputs is a classic bug. "与负对数似然损失(NLL)不同,交叉熵惩罚不正确但置信度高的预测,以及正确但置信度较低的预测" is wrong: `CrossEntropyLoss(z) ≡ NLLLoss(LogSoftmax(z))`, the same function. "BCE…Pytorch 中的默认损失函数" is wrong: there is no default loss.',
            summary="NLL only works after softmax; CE penalises differently from NLL; BCE is PyTorch's default loss",
            gist='`NLLLoss` takes log-probabilities (`LogSoftmax`); `CrossEntropyLoss(z)` ≡ `NLLLoss(LogSoftmax(z))`; there is no default loss.'),
    Erratum('ER26', '001_f7c8dc85b772d469.txt', 'C', ('B3',),
            (),
            '`myCustomLoss` returns `-torch.sum(my_outputs)/number_examples`. `number_examples` is undefined (NameError); it should be `my_batch_size`.'),
    Erratum('ER27', '001_f7c8dc85b772d469.txt', 'W', ('B4', 'B5'),
            ('(CE) 与 sogmoid 激活函数搭配使用', 'nn.CrossEntropyLoss() 将输入值通过 softmax层'),
            '"(CE) 与 sogmoid 激活函数搭配使用" and "nn.CrossEntropyLoss() 将输入值通过 softmax层". CrossEntropyLoss takes **raw logits** and applies `log_softmax` internally. Do not put a softmax (double softmax) or a sigmoid in front of it; sigmoid pairs with BCE(WithLogits).',
            summary='CE is used with a sigmoid and passes the input through a softmax',
            gist='CE takes raw logits and applies `log_softmax` itself; a softmax in front applies it twice; sigmoid pairs with BCE.'),
    Erratum('ER28', '001_f7c8dc85b772d469.txt', 'W', ('B4',),
            ('权重参数需要与标签数据的形状相同',),
            '"权重参数需要与标签数据的形状相同". `weight` has shape (C,), the number of classes. With `reduction=\'mean\'` the result is $\\sum w_{y_i}\\ell_i/\\sum w_{y_i}$ (a weighted mean). The seed\'s 2-sample example has $\\sum w=N$, which hides the difference (W12).',
            summary='`weight` has the shape of the labels',
            gist="shape $(C,)$; the `'mean'` is $\\sum w_{y_i}\\ell_i/\\sum w_{y_i}$."),
    Erratum('ER29', '001_f7c8dc85b772d469.txt', 'W', ('B4',),
            ('F.cross_entropy() 得到的是一个向量…会使用一个 mean() 函数',),
            '"F.cross_entropy() 得到的是一个向量…会使用一个 mean() 函数". The default `reduction=\'mean\'` already returns a scalar, so `.mean()` is a no-op. A per-sample vector needs `reduction=\'none\'`.',
            summary='`F.cross_entropy` returns a vector, so call `.mean()`',
            gist="the default reduction returns a scalar; `reduction='none'` gives the vector."),
    Erratum('ER30', '001_f7c8dc85b772d469.txt', 'M', ('B4',),
            (),
            'The ignore_index description is right. Add that with `weight` the mean is weighted over the non-ignored samples, and that with `label_smoothing` the smoothing term is masked too. Soft (probability) targets do not support ignore_index and are averaged over N, not Σw **[SRC✓]**.',
            summary='(ignore_index, correct but incomplete)',
            gist="with weights the mean is over the kept samples' weights; the smoothing term is masked too; soft targets: no `ignore_index`, mean over $N$."),
    Erratum('ER31', '001_f7c8dc85b772d469.txt', 'MC', ('B5', 'D1'),
            ('当权重因子为0.75时,效果最好',),
            '"Balanced Cross Entropy (BCE)" reuses the acronym of *Binary* CE, and the section then explains `BCELoss` (binary CE), so the two are conflated. "当权重因子为0.75时,效果最好" is true only without focusing (γ = 0) in RetinaNet Table 1a; with γ = 2 the best α is 0.25. The code example builds `nn.BCELoss()`, which would raise on the inputs [2, −1, 0, 5] (not probabilities); with `BCEWithLogitsLoss` the value is 1.5350 (W13).',
            summary='"Balanced Cross Entropy (BCE)", then `nn.BCELoss` on the logits [2, −1, 0, 5]',
            gist='BCE is *binary* CE; `BCELoss` needs probabilities and would raise; `BCEWithLogitsLoss` gives 1.5350131.'),
    Erratum('ER32', '001_f7c8dc85b772d469.txt', 'W', ('D2',),
            ('【2017.2.7】Facebook FAIR 何恺明 在目标检测任务中提出 Focal loss', 'alpha 是对每个类别在训练数据中的频率有关'),
            '"【2017.2.7】Facebook FAIR 何恺明 在目标检测任务中提出 Focal loss". The paper is arXiv:1708.02002 (**Aug 2017**), ICCV 2017. The first author is **Tsung-Yi Lin**; Kaiming He is a co-author. "alpha 是对每个类别在训练数据中的频率有关" is misleading: α is a tuned hyperparameter, and the best α = 0.25 *down*-weights the rare positives when γ = 2.'),
    Erratum('ER33', '001_f7c8dc85b772d469.txt', 'C', ('D3',),
            (),
            "The first `FocalLoss(gamma, weight)` snippet computes CE with the default **mean** reduction, then `pt=exp(-ce_mean)`. The modulating factor is therefore applied to the batch mean, not per sample. Use `reduction='none'`. With class weights, $\\exp(-\\mathrm{CE}_w)\\ne p_t$."),
    Erratum('ER34', '001_f7c8dc85b772d469.txt', 'C', ('D2',),
            (),
            'The binary `FocalLoss` uses `F.cross_entropy` (softmax over 2 logits) together with a 0/1 α formula. It is only valid for C = 2 and mixes the softmax and sigmoid formulations.'),
    Erratum('ER35', '001_f7c8dc85b772d469.txt', 'C', ('D3',),
            (),
            'In the multi-class `FocalLoss` `__main__`, softmax *probabilities* are fed into a module that applies `log_softmax` again (double softmax). The targets are booleans cast to long (only classes 0/1 of 3), and α = [α, 1−α, …] treats class 0 specially for no stated reason.'),
    Erratum('ER36', '001_f7c8dc85b772d469.txt', 'C', ('D3',),
            (),
            'The TF `test_softmax_focal_ce_3` is named "softmax" but uses a sigmoid, and it keeps only the positive-label term (`label * …`), so negatives contribute nothing. It is not a focal loss.'),
    Erratum('ER37', '001_f7c8dc85b772d469.txt', 'W', ('D2',),
            ('Focal Loss…可能会导致梯度爆炸', '仅适用于二分类问题'),
            '"Focal Loss…可能会导致梯度爆炸" and "仅适用于二分类问题". The gradient with respect to the logit is bounded, $|\\partial FL/\\partial x|\\le\\alpha_t(1+\\gamma/e)$. Practical NaNs come from `pow(0, γ<1)` in autograd. Softmax focal loss is a standard multi-class extension.'),
    Erratum('ER38', '001_f7c8dc85b772d469.txt', 'M', ('I1',),
            ('nce_loss 可以采用随机负采样,相比hierarhical softmax 可以大幅度提高性能',),
            '"nce_loss 可以采用随机负采样,相比hierarhical softmax 可以大幅度提高性能". NCE ≠ negative sampling: NCE has the $\\log kq$ correction and is consistent; negative sampling drops it. The performance claim is unqualified.'),
    Erratum('ER40', '001_f7c8dc85b772d469.txt', 'WC', ('D4',),
            ('谷歌对 CVPR 2019.1.16 上发表综述', '改进版'),
            '"谷歌对 CVPR 2019.1.16 上发表综述". Class-Balanced Loss is a research paper (Cui et al., Cornell & Google; arXiv:1901.05555, 16 Jan 2019; CVPR 2019), not a survey, and it is a re-weighting for *any* loss, not specifically an "improved focal loss". Code problems:\n* `F.binary_cross_entropy_with_logits(..., weights=weights)` raises `TypeError`, since the keyword is `weight` (fixed upstream).\n* The `"softmax"` branch applies BCE to softmax probabilities, which is not the paper\'s weighted softmax CE.\n* The "改进版" `__main__` prints an undefined `cb_loss` (NameError).'),
    Erratum('ER41', '001_f7c8dc85b772d469.txt', 'C', ('E5',),
            (),
            '`evalmape`: `abs(gaps-preds)/gaps` has no abs in the denominator (negative errors when actuals are negative), and it divides by zero before masking.',
            summary='`evalmape`: `abs(gaps-preds)/gaps`',
            gist='Divide by $\\lvert y\\rvert$; mask zero targets *before* dividing.'),
    Erratum('ER42', '001_f7c8dc85b772d469.txt', 'W', ('E6',),
            ('范围[0,+∞)', '分母变为了真实值和预测值的中值'),
            'SMAPE "范围[0,+∞)". For the given formula the range is [0, 200%]. "分母变为了真实值和预测值的中值": it is the mean of |y| and |ŷ|, not the median.',
            summary='SMAPE ranges over $[0,+\\infty)$ with the *median* of $y,\\hat y$ in the denominator',
            gist='$[0,200\\%]$; it is the *mean* of $\\lvert y\\rvert,\\lvert\\hat y\\rvert$.'),
    Erratum('ER43', '001_f7c8dc85b772d469.txt', 'C', ('E1', 'E3', 'E8', 'E10'),
            (),
            'The helpers named `mse`/`mae`/`huber`/`logcosh` return `np.sum`, i.e. sums, not means.',
            summary='helpers `mse`, `mae`, `huber`, `logcosh`',
            gist='They return sums (`np.sum`), not means.'),
    Erratum('ER44', '001_f7c8dc85b772d469.txt', 'M', ('E8',),
            ('δ ~ 0 时,Huber损失方法接近MAE',),
            '"δ ~ 0 时,Huber损失方法接近MAE". $\\mathrm{Huber}_\\delta\\to0$ as δ → 0; it is $\\mathrm{Huber}_\\delta/\\delta$ that tends to |r|. As δ → ∞ the limit is **½**·MSE.',
            summary='Huber → MAE as $\\delta\\to0$, → MSE as $\\delta\\to\\infty$',
            gist='$\\mathrm{Huber}_\\delta\\to0$; $\\mathrm{Huber}_\\delta/\\delta\\to\\lvert r\\rvert$; the large-$\\delta$ limit is $\\tfrac12$MSE.'),
    Erratum('ER45', '001_f7c8dc85b772d469.txt', 'W', ('E10',),
            ('偏差较大时,梯度和二阶微分是一个常数',),
            'Log-cosh "偏差较大时,梯度和二阶微分是一个常数". The gradient tends to ±1, but the second derivative $\\mathrm{sech}^2 r\\to0$; the vanishing Hessian is what hurts Newton-type boosting. `np.log(np.cosh(x))` overflows for |x| > ~710.',
            summary="log-cosh's gradient and second derivative are constant for large errors",
            gist="$\\rho''=\\operatorname{sech}^2r\\to0$; that is what hurts Newton boosting. `np.log(np.cosh(x))` overflows."),
    Erratum('ER46', '001_f7c8dc85b772d469.txt', 'M', ('E11',),
            ('当分位数为0.5时,它就是MAE',),
            'Quantile "当分位数为0.5时,它就是MAE". It is **½**·MAE (same minimiser).',
            summary='quantile loss at 0.5 "is the MAE"',
            gist='It is $\\tfrac12$MAE (same minimiser).'),
    Erratum('ER47', '001_f7c8dc85b772d469.txt', 'W', ('C1',),
            ('感知机就是用的这种(0-1)损失函数',),
            '"感知机就是用的这种(0-1)损失函数". The perceptron minimises the perceptron criterion $\\max(0,-yf)$; 0-1 is the evaluation loss.',
            summary='the perceptron uses the 0-1 loss',
            gist='it minimises the perceptron criterion $\\max(0,-yf)$; the 0-1 loss is the evaluation metric (its gradient is 0).'),
    Erratum('ER48', '001_f7c8dc85b772d469.txt', 'W', ('C3',),
            ('如果被分类正确,损失为0', 'f(x) 是预测值,在-1到1之间'),
            'Hinge "如果被分类正确,损失为0" and "f(x) 是预测值,在-1到1之间". The loss is 0 only when $yf\\ge1$ (correct **and** outside the margin), and $f$ is an unbounded score.',
            summary='hinge: "the loss is 0 if the sample is classified correctly", "$f(x)$ is the prediction, between −1 and 1"',
            gist='the loss is 0 only when $yf\\ge1$ (correct **and** beyond the margin); $f$ is an unbounded score.'),
    Erratum('ER49', '001_f7c8dc85b772d469.txt', 'W', ('K1', 'K4', 'K5', 'K6'),
            ('回归任务损失',),
            'perceptual loss and the GAN losses are listed under "回归任务损失"; they are generative-model losses. "LS-GAN" is ambiguous: Mao\'s least-squares GAN is usually written LSGAN, while Qi\'s Loss-Sensitive GAN calls itself LS-GAN. Since the seed lists both "LS-GAN" and "Loss-sensitive-GAN", read LS-GAN as least squares.'),
    Erratum('ER50', '001_f7c8dc85b772d469.txt', 'C', ('D2',),
            (),
            'The YOLOv8 `FocalLoss` docstring ("Calculates and updates confusion matrix") is a copy-paste error (harmless).'),
    Erratum('ER51', '001_f7c8dc85b772d469.txt', 'M', ('F1',),
            (),
            'The `DiceLoss` class uses deprecated `F.sigmoid`, and it flattens the whole batch (global Dice), which differs from per-image Dice. Document this.',
            summary='`DiceLoss`: `F.sigmoid`, then one Dice over the flattened batch',
            gist='That is batch Dice with pooled classes (`batch=True, pool_classes=True`), not the per-image Dice most papers report; `torch.sigmoid` replaces the deprecated `F.sigmoid`.'),
    Erratum('ER52', '002_8d17fd0c9496c2f4.txt', 'M', ('B3',),
            (),
            '"Softmax + Cross Entropy / log-likelihood" are presented as two combinations. For one-hot targets they are the *same* loss ($-\\log v_k$). Most formulas were lost as `[公式]`; the chapter rebuilds them (B3, B5, W18).',
            summary='softmax + CE and softmax + log-likelihood are two combinations',
            gist='for one-hot targets they are the same loss, $-\\log q_y$.'),
    Erratum('ER53', '003_07f23b3fb9ed378a.txt', 'W', ('E7',),
            ('mse计算结果(y_1:100,y_2:3)', 'msle计算结果(0.047,0.27)'),
            'MSLE example: "mse计算结果(y_1:100,y_2:3)" are sums of squared errors (MSE = 25, 0.75); "msle计算结果(0.047,0.27)" are **RMSLE** values (MSLE = 0.00223, 0.0742). See W6. The second snippet labelled "#mse" is not Keras MSE: it clips at ε, and the +1 cancels.',
            summary='MSLE example "mse: 100, 3", "msle: 0.047, 0.27"',
            gist='Sums of squares (MSE 25, 0.75) and RMSLE values (MSLE 0.00223, 0.0742).'),
    Erratum('ER54', '003_07f23b3fb9ed378a.txt', 'C', ('E5',),
            (),
            'The Keras MAPE snippet omits `100*` and the mean. "kullback_leiber" should be "kullback_leibler".',
            summary='Keras MAPE snippet',
            gist='Omits the factor 100 and the mean.'),
    Erratum('ER55', '003_07f23b3fb9ed378a.txt', 'C', ('E10',),
            ('烫烫烫',),
            'The logcosh code computes cosh via exp (overflow); "烫烫烫" is mojibake.',
            summary='log-cosh code builds `cosh` from `exp`',
            gist='Overflows; use $\\lvert r\\rvert+\\operatorname{log1p}(e^{-2\\lvert r\\rvert})-\\log2$.'),
    Erratum('ER57', '003_07f23b3fb9ed378a.txt', 'M', ('H4',),
            (),
            'Center-loss scale conventions differ: the paper uses ½Σ; the TF code uses ½Σ/feat_dim; KaiyangZhou uses Σ/B. λ ranges are therefore not transferable between implementations without rescaling.'),
    Erratum('ER59', '004_95267161cf8e9e84.txt', 'W', ('E1',),
            ('由于L1 loss具有稀疏性,为了惩罚较大的值,因此常常将其作为正则项', 'L2 loss也常常作为正则项'),
            '"由于L1 loss具有稀疏性,为了惩罚较大的值,因此常常将其作为正则项". This conflates an L1 *loss on residuals* with an L1 *penalty on weights*. The L1 penalty induces sparsity and penalises large values **less** than L2. The same applies to "L2 loss也常常作为正则项".',
            summary='L1 loss is "sparse", hence used as a regulariser',
            gist='Confuses an L1 *loss on residuals* with an L1 *penalty on weights*; only the penalty induces sparsity, and it penalises large values *less* than L2.'),
    Erratum('ER60', '004_95267161cf8e9e84.txt', 'M', ('E1',),
            ('L1 loss的最大问题是梯度在零点不平滑,导致会跳过极小值',),
            '"L1 loss的最大问题是梯度在零点不平滑,导致会跳过极小值". Better: a kink at 0 plus a constant-magnitude gradient makes fixed-LR descent oscillate around the minimum.',
            summary='L1\'s non-smooth zero makes it "skip the minimum"',
            gist='The kink plus a constant-magnitude gradient makes fixed-step descent oscillate around the minimum.'),
    Erratum('ER61', '004_95267161cf8e9e84.txt', 'M', ('B5',),
            (),
            "The BCE example value 0.5108254 (vs exact 0.5108256) comes from Keras's ε inside the log (W2); the text doesn't say so.",
            summary='BCE example 0.5108254, unexplained',
            gist="Keras's $\\epsilon=10^{-7}$ inside the log; exact value $-\\ln 0.6=0.5108256$."),
    Erratum('ER62', '004_95267161cf8e9e84.txt', 'M', ('E9',),
            ('在[-1,1]之间实际上就是L2损失',),
            'Smooth L1 "在[-1,1]之间实际上就是L2损失". It is ½x². Keras `Huber()` equals Smooth L1 only for δ = β = 1.',
            summary='Smooth L1 "is the L2 loss" on $[-1,1]$',
            gist='It is $\\tfrac12r^2$ there; Keras `Huber()` equals Smooth L1 only for $\\delta=\\beta=1$.'),
)


def erratum(id: str) -> Erratum:
    """The erratum numbered ``id`` (``"ER15"``), with a helpful error."""
    for e in ERRATA:
        if e.id == id:
            return e
    raise KeyError(f"no erratum {id!r}; the errata are ER1 to {ERRATA[-1].id} (lossbook.site.errata.ERRATA)")


def errata_of_entry(catalog_id: str) -> list[Erratum]:
    """The errata that concern a catalog entry (e.g. ``"A2"``)."""
    return [e for e in ERRATA if catalog_id in e.entries]
